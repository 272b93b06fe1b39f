import { isIP } from 'node:net';
import { type Clock, systemClock } from '../../kernel/clock';

/**
 * Rate limit on refused A01-1 requests, per client address (merchant-link-type.md, Checks: "at
 * least 100 a minute are answered normally; beyond that, HTTP 429 with code 1102 and nothing
 * logged"). Anyone can post a merchant's id, so this keeps a flood of bad requests from filling the
 * merchant's payment-error log.
 *
 * A fixed one-minute window per client: the first `limit` refusals of each window are admitted, so
 * at least `limit` a minute always are. The state lives in this process only — gateways behind a
 * load balancer each count on their own, so a client spread over n processes gets up to n × limit
 * a minute; the log stays bounded all the same.
 */
export interface RefusalLimiterOptions {
  limit?: number;
  windowMs?: number;
  /** Clients remembered at most; beyond it the oldest windows are forgotten (memory stays bounded). */
  maxClients?: number;
  clock?: Clock;
}

interface Window {
  startedAt: number;
  count: number;
}

/**
 * The key a client is counted under: an IPv4 address (also when written IPv4-mapped), or the /64
 * network of an IPv6 address — one subscriber usually holds a whole /64, and counting single
 * addresses would let it rotate through them.
 */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export class RefusalLimiter {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly maxClients: number;
  private readonly clock: Clock;
  // Insertion order is window start order (a renewed window is re-inserted), so the oldest come first.
  private readonly windows = new Map<string, Window>();

  constructor(options: RefusalLimiterOptions = {}) {
    this.limit = options.limit ?? 100;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxClients = options.maxClients ?? 50_000;
    this.clock = options.clock ?? systemClock;
  }

  /** Counts one refusal for `ip`; `true` when it is to be answered normally, `false` for 429/1102. */
  admit(ip: string): boolean {
    const now = this.clock.now().getTime();
    const key = clientKey(ip);
    const current = this.windows.get(key);
    if (current && now - current.startedAt < this.windowMs) {
      current.count++;
      return current.count <= this.limit;
    }
    this.windows.delete(key);
    this.windows.set(key, { startedAt: now, count: 1 });
    this.evict(now);
    return true;
  }

  /** Clients currently remembered (for tests and metrics). */
  get size(): number {
    return this.windows.size;
  }

  private evict(now: number): void {
    for (const [key, window] of this.windows) {
      const expired = now - window.startedAt >= this.windowMs;
      if (!expired && this.windows.size <= this.maxClients) return;
      this.windows.delete(key);
    }
  }
}
