import { Agent, type IncomingHttpHeaders, request } from 'node:http';

/**
 * The load generator's HTTP client: node:http over kept-alive connections (one pool for all
 * targets), the same for the product and for the Fastify floor.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export function http(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = options.body;
    const headers = {
      ...options.headers,
      ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
    };
    const req = request(url, { method: options.method ?? 'GET', headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Latencies of one step, in milliseconds. */
export class Latencies {
  private readonly values: number[] = [];

  add(ms: number): void {
    this.values.push(ms);
  }

  get count(): number {
    return this.values.length;
  }

  percentile(p: number): number {
    if (this.values.length === 0) return Number.NaN;
    const sorted = [...this.values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  }

  summary(): { n: number; p50: number; p99: number } {
    return { n: this.count, p50: round(this.percentile(50)), p99: round(this.percentile(99)) };
  }
}

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Runs `work` in `concurrency` lanes, each again and again, for `durationMs`; returns the calls made. */
export async function closedLoop(
  concurrency: number,
  durationMs: number,
  work: () => Promise<void>,
): Promise<{ completed: number; seconds: number }> {
  const start = Date.now();
  let completed = 0;
  const lane = async () => {
    while (Date.now() - start < durationMs) {
      await work();
      completed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { completed, seconds: (Date.now() - start) / 1000 };
}
