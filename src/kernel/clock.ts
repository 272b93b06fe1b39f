/**
 * One injectable clock (payment-lifecycle.md, Clocks). Every rule that depends on time reads it, so
 * tests move time (10 minutes, 365 days) without sleeping.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that runs with real time plus an offset tests can move. */
export class OffsetClock implements Clock {
  constructor(private offsetMs = 0) {}
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  set(offsetMs: number): void {
    this.offsetMs = offsetMs;
  }
  /** Moves the clock so that `now()` is `instant` (and then runs on from there). */
  setNow(instant: Date): void {
    this.offsetMs = instant.getTime() - Date.now();
  }
  get offset(): number {
    return this.offsetMs;
  }
}
