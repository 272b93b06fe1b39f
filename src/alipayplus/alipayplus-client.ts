import type { KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { AlipayPlusCallOutcome } from '../app/metrics';
import { formatJstIso } from '../kernel/jst';
import type { ProviderExchange } from '../payments/payment-provider';
import { headerOf, post } from './http-post';
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
  /** Told how each call ended and how long it took (the metrics). */
  onCall?: (api: string, outcome: AlipayPlusCallOutcome, seconds: number) => void;
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
    let outcome: AlipayPlusCallOutcome = 'U';
    try {
      const response = await post(
        baseUrl + path,
        {
          'Content-Type': JSON_CONTENT_TYPE,
          'Client-Id': clientId,
          'Request-Time': requestTime,
          Signature: signMessage(privateKey, path, clientId, requestTime, body),
        },
        body,
        { timeoutMs },
      );
      exchange.responseStatus = response.status;
      exchange.responseBody = response.body.toString('utf8');
      const verified = this.readVerified(path, response.headers, response.body);
      outcome = resultStatusOf(verified);
      return { body: verified, exchange };
    } catch (error) {
      if (error instanceof Error && error.name === 'TimeoutError') outcome = 'timeout';
      exchange.responseBody = `(no answer: ${error instanceof Error ? error.name : 'error'})`;
      return { body: undefined, exchange };
    } finally {
      const elapsed = performance.now() - started;
      exchange.durationMs = Math.round(elapsed);
      this.options.onCall?.(exchange.api, outcome, elapsed / 1000);
    }
  }

  private readVerified(
    path: string,
    headers: IncomingHttpHeaders,
    raw: Buffer,
  ): Record<string, unknown> | undefined {
    const signature = headerOf(headers, 'signature');
    const time = headerOf(headers, 'response-time');
    const clientId = headerOf(headers, 'client-id') ?? this.options.clientId;
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

/** `result.resultStatus` of a verified answer; an answer we cannot read counts as unknown. */
function resultStatusOf(body: Record<string, unknown> | undefined): AlipayPlusCallOutcome {
  const status = (body?.result as { resultStatus?: unknown } | undefined)?.resultStatus;
  return status === 'S' || status === 'F' ? status : 'U';
}
