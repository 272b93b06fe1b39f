import type { KeyObject } from 'node:crypto';
import { formatJstIso } from '../kernel/jst';
import type { ProviderExchange } from '../payments/payment-provider';
import { JSON_CONTENT_TYPE, signMessage, verifyMessage } from './signing';

/**
 * Signed HTTP calls to Alipay+ (or the sandbox). The body is serialized once and exactly those
 * bytes are signed and sent; a response counts only when its signature verifies — a bad or missing
 * signature makes the answer unreadable, which the outcome mappings treat as unknown.
 */
export interface AlipayPlusClientOptions {
  baseUrl: string;
  clientId: string;
  privateKey: KeyObject;
  alipayPublicKey: KeyObject;
  clock: { now(): Date };
  /** Watches every call's outcome (the outage circuit breaker, governance.md 6). */
  guard?: CallGuard;
}

/** Wraps each call; must return the call's own result. */
export interface CallGuard {
  run(call: () => Promise<CallResult>): Promise<CallResult>;
}

export interface CallResult {
  /** The parsed body, only when the response signature verified. */
  body: Record<string, unknown> | undefined;
  exchange: ProviderExchange;
}

export class AlipayPlusClient {
  constructor(private readonly options: AlipayPlusClientOptions) {}

  async call(path: string, payload: Record<string, unknown>, timeoutMs: number): Promise<CallResult> {
    const send = () => this.send(path, payload, timeoutMs);
    return this.options.guard ? this.options.guard.run(send) : send();
  }

  private async send(path: string, payload: Record<string, unknown>, timeoutMs: number): Promise<CallResult> {
    const { baseUrl, clientId, privateKey, clock } = this.options;
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    const requestTime = formatJstIso(clock.now());
    const started = performance.now();
    const exchange: ProviderExchange = {
      api: path.slice(path.lastIndexOf('/') + 1),
      requestBody: body.toString('utf8'),
      responseStatus: null,
      responseBody: null,
      durationMs: 0,
    };
    try {
      const response = await fetch(baseUrl + path, {
        method: 'POST',
        headers: {
          'Content-Type': JSON_CONTENT_TYPE,
          'Client-Id': clientId,
          'Request-Time': requestTime,
          Signature: signMessage(privateKey, path, clientId, requestTime, body),
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      const raw = Buffer.from(await response.arrayBuffer());
      exchange.responseStatus = response.status;
      exchange.responseBody = raw.toString('utf8');
      return { body: this.readVerified(path, response, raw), exchange };
    } catch (error) {
      exchange.responseBody = `(no answer: ${error instanceof Error ? error.name : 'error'})`;
      return { body: undefined, exchange };
    } finally {
      exchange.durationMs = Math.round(performance.now() - started);
    }
  }

  private readVerified(path: string, response: Response, raw: Buffer): Record<string, unknown> | undefined {
    const signature = response.headers.get('signature');
    const time = response.headers.get('response-time');
    const clientId = response.headers.get('client-id') ?? this.options.clientId;
    if (!signature || !time) return undefined;
    if (!verifyMessage(this.options.alipayPublicKey, path, clientId, time, raw, signature)) return undefined;
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'));
      return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }
}
