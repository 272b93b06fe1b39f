import type { KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { headerOf } from '../alipayplus/http-post';
import { parseAlipayTime, parseSignatureHeader, signMessage, verifyMessage } from '../alipayplus/signing';
import type { Clock } from '../kernel/clock';
import { formatJstIso } from '../kernel/jst';
import { loadPublicKey } from '../kernel/rsa';
import type { SandboxStore } from './store';

export type RequestCheck =
  | { ok: true; clientId: string }
  | {
      ok: false;
      clientId: string;
      code: 'INVALID_CLIENT' | 'KEY_NOT_FOUND' | 'INVALID_SIGNATURE' | 'PARAM_ILLEGAL';
      message: string;
    };

/**
 * The sandbox's side of Alipay+ signing (alipayplus.md, Signing): it verifies ACQP requests and
 * notification answers with the client's public key (looked up by Client-Id) and signs its
 * answers and notifications with its own private key.
 */
export class SandboxSigner {
  private readonly keys = new Map<string, KeyObject>();

  constructor(
    private readonly privateKey: KeyObject,
    private readonly store: SandboxStore,
    private readonly clock: Clock,
  ) {}

  now(): string {
    return formatJstIso(this.clock.now());
  }

  sign(path: string, clientId: string, time: string, body: Buffer): string {
    return signMessage(this.privateKey, path, clientId, time, body);
  }

  /** A well-formed signature header whose signature is wrong (the `badSignature` fault). */
  corrupt(header: string): string {
    return header.replace(/signature=(.)/, (_, first: string) => `signature=${first === 'A' ? 'B' : 'A'}`);
  }

  forgetClient(clientId: string): void {
    this.keys.delete(clientId);
  }

  async clientKey(clientId: string): Promise<KeyObject | null> {
    const cached = this.keys.get(clientId);
    if (cached) return cached;
    const text = await this.store.clientKey(clientId);
    if (!text) return null;
    const key = loadPublicKey(text);
    this.keys.set(clientId, key);
    return key;
  }

  async checkRequest(path: string, headers: Record<string, unknown>, body: Buffer): Promise<RequestCheck> {
    const clientId = header(headers, 'client-id');
    if (!clientId)
      return { ok: false, clientId: '', code: 'INVALID_CLIENT', message: 'Client-Id header missing' };
    const key = await this.clientKey(clientId);
    if (!key)
      return { ok: false, clientId, code: 'INVALID_CLIENT', message: `unknown Client-Id ${clientId}` };
    const time = header(headers, 'request-time');
    if (!time) return { ok: false, clientId, code: 'PARAM_ILLEGAL', message: 'Request-Time header missing' };
    if (!parseAlipayTime(time)) {
      return { ok: false, clientId, code: 'PARAM_ILLEGAL', message: 'Request-Time is not an ISO-8601 time' };
    }
    const signature = header(headers, 'signature');
    if (!signature)
      return { ok: false, clientId, code: 'INVALID_SIGNATURE', message: 'Signature header missing' };
    const parsed = parseSignatureHeader(signature);
    if (!parsed)
      return { ok: false, clientId, code: 'INVALID_SIGNATURE', message: 'Signature header malformed' };
    if (parsed.keyVersion !== '1') {
      return {
        ok: false,
        clientId,
        code: 'KEY_NOT_FOUND',
        message: `no key of version ${parsed.keyVersion}`,
      };
    }
    if (!verifyMessage(key, path, clientId, time, body, signature)) {
      return { ok: false, clientId, code: 'INVALID_SIGNATURE', message: 'signature does not verify' };
    }
    return { ok: true, clientId };
  }

  /** Whether an ACQP's answer to a notification is signed by that client (Response-Time). */
  async verifyAnswer(
    path: string,
    clientId: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): Promise<boolean> {
    const key = await this.clientKey(clientId);
    const time = headerOf(headers, 'response-time');
    const signature = headerOf(headers, 'signature');
    const answeringClient = headerOf(headers, 'client-id') ?? clientId;
    if (!key || !time || !signature || answeringClient !== clientId) return false;
    return verifyMessage(key, path, clientId, time, body, signature);
  }
}

function header(headers: Record<string, unknown>, name: string): string | null {
  const value = headers[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}
