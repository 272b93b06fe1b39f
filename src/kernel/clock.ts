/**
 * One injectable clock (payment-lifecycle.md, Clocks). Every rule that depends on time reads it, so
 * tests move time (10 minutes, 365 days) without sleeping.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * A clock that runs with real time plus an offset tests can move — or stands still at an instant,
 * for checks that hinge on one millisecond (the last instant of the refund period).
 */
export class OffsetClock implements Clock {
  private frozenAt: number | null = null;
  constructor(private offsetMs = 0) {}
  now(): Date {
    return new Date(this.frozenAt ?? Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    if (this.frozenAt !== null) this.frozenAt += ms;
    this.offsetMs += ms;
  }
  /** Runs again, `offsetMs` from real time. */
  set(offsetMs: number): void {
    this.frozenAt = null;
    this.offsetMs = offsetMs;
  }
  /** Stops the clock at `instant` until `set` is called. */
  freeze(instant: Date): void {
    this.frozenAt = instant.getTime();
  }
  /** Moves the clock so that `now()` is `instant` (and then runs on from there). */
  setNow(instant: Date): void {
    this.offsetMs = instant.getTime() - Date.now();
  }
  get offset(): number {
    return this.offsetMs;
  }
}
