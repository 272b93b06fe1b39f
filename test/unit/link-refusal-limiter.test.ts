import { describe, expect, it } from 'vitest';
import { clientKey, RefusalLimiter } from '../../src/channels/link/refusal-limiter';
import type { Clock } from '../../src/kernel/clock';

/** A clock that stands still until moved: the window edges are tested to the millisecond. */
function manualClock() {
  let t = Date.UTC(2026, 10, 27);
  const clock: Clock & { advance(ms: number): void } = {
    now: () => new Date(t),
    advance: (ms) => {
      t += ms;
    },
  };
  return clock;
}

function admitted(limiter: RefusalLimiter, ip: string, times: number): number {
  let n = 0;
  for (let i = 0; i < times; i++) if (limiter.admit(ip)) n++;
  return n;
}

describe('refusal rate limit per client address', () => {
  it('answers 100 refusals a minute normally, then refuses more', () => {
    const limiter = new RefusalLimiter({ clock: manualClock() });
    expect(admitted(limiter, '203.0.113.9', 100)).toBe(100);
    expect(limiter.admit('203.0.113.9')).toBe(false);
    expect(limiter.admit('203.0.113.10')).toBe(true);
  });

  it('starts again when the minute is over', () => {
    const clock = manualClock();
    const limiter = new RefusalLimiter({ clock });
    expect(admitted(limiter, '203.0.113.9', 150)).toBe(100);
    clock.advance(59_999);
    expect(limiter.admit('203.0.113.9')).toBe(false);
    clock.advance(1);
    expect(admitted(limiter, '203.0.113.9', 100)).toBe(100);
  });

  it('counts an IPv6 /64 as one client and IPv4-mapped addresses as IPv4', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::5')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    const limiter = new RefusalLimiter({ limit: 2, clock: manualClock() });
    expect(limiter.admit('2001:db8:1:2::1')).toBe(true);
    expect(limiter.admit('2001:db8:1:2::2')).toBe(true);
    expect(limiter.admit('2001:db8:1:2::3')).toBe(false);
  });

  it('keeps memory bounded by forgetting the oldest clients', () => {
    const clock = manualClock();
    const limiter = new RefusalLimiter({ limit: 1, maxClients: 1000, clock });
    for (let i = 0; i < 5000; i++) limiter.admit(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(1000);
    clock.advance(60_000);
    limiter.admit('192.0.2.1');
    expect(limiter.size).toBe(1);
  });
});
