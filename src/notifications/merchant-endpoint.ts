import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { canonicalHost, isInternalHost, isRegisteredHost } from '../merchants/url-hosts';

/**
 * Posts to a merchant's server (A02-1) — the gateway's one outgoing call to an address a merchant
 * chose. The connection goes to the address that was checked, so a DNS answer that changes between
 * check and connect cannot redirect it.
 */
export type MerchantAnswer = { status: number; body: Buffer } | { error: string };

/** What is read of a merchant's answer: enough for `OK,` / `NG,<message>`. */
const ANSWER_KEEP_BYTES = 2048;

export type Resolver = (host: string) => Promise<Array<{ address: string; family: number }>>;

export interface MerchantPost {
  url: string;
  body: string;
  contentType: string;
  registeredHosts: readonly string[];
  mode: 'demo' | 'production';
  /** For the whole attempt: name resolution, connecting and the answer. */
  timeoutMs: number;
  /** Name resolution (the system resolver unless a test stands in for DNS). */
  resolve?: Resolver;
  /** Aborts the attempt (the job's lease ran out). */
  signal?: AbortSignal;
}

const systemResolve: Resolver = (host) => lookup(host, { all: true });

export type CallbackTarget =
  | { ok: true; address: string; family: number }
  /** `permanent`: no later attempt can succeed until the service's registered hosts change. */
  | { ok: false; error: string; permanent: boolean };

/** The error of an attempt the merchant did not answer within the time allowed. */
export const NO_ANSWER_IN_TIME = 'no answer in time';

/**
 * The one rule for a merchant's callback URL (`pagecon_url`), applied by A01-1 before a payment
 * exists and by the sender before each attempt (merchant-link-type.md, fields 21–24): an http(s)
 * URL on a registered host. In production an internal (loopback, private, link-local) address is
 * reached only through an entry only an operator can add — an internal IP literal, or `localhost`
 * or a `.localhost` name — registered exactly; any other name that resolves to an internal address
 * is refused. A name that does not resolve now may later: that is not permanent.
 */
export async function callbackTarget(
  url: URL,
  registeredHosts: readonly string[],
  mode: 'demo' | 'production',
  resolve: Resolver = systemResolve,
): Promise<CallbackTarget> {
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    !isRegisteredHost(url, registeredHosts, mode)
  ) {
    return { ok: false, error: 'host is not registered for the service', permanent: true };
  }
  const host = canonicalHost(url.hostname);
  if (host === null) return { ok: false, error: 'invalid host', permanent: true };
  if (isIP(host) !== 0) return { ok: true, address: host, family: isIP(host) };
  let addresses: Array<{ address: string; family: number }>;
  try {
    addresses = await resolve(host);
  } catch {
    addresses = [];
  }
  const first = addresses[0];
  if (!first) return { ok: false, error: 'host name does not resolve', permanent: false };
  const operatorEntry = isInternalHost(host);
  if (mode === 'production' && !operatorEntry && addresses.some((a) => isInternalHost(a.address))) {
    return { ok: false, error: 'host resolves to an internal address', permanent: true };
  }
  return { ok: true, address: first.address, family: first.family };
}

export async function postToMerchant(post: MerchantPost): Promise<MerchantAnswer> {
  let url: URL;
  try {
    url = new URL(post.url);
  } catch {
    return { error: 'invalid URL' };
  }
  const deadline = AbortSignal.timeout(post.timeoutMs);
  const signal = post.signal ? AbortSignal.any([deadline, post.signal]) : deadline;
  const timedOut = new Promise<CallbackTarget>((resolve) => {
    const stop = () => resolve({ ok: false, error: NO_ANSWER_IN_TIME, permanent: false });
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
  // A resolver that hangs must not hold the attempt past its time-out either.
  const target = await Promise.race([
    callbackTarget(url, post.registeredHosts, post.mode, post.resolve),
    timedOut,
  ]);
  if (!target.ok) return { error: target.error };
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [target]);
    else callback(null, target.address, target.family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<MerchantAnswer>((resolve) => {
    let settled = false;
    const finish = (answer: MerchantAnswer) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', stop);
      resolve(answer);
    };
    const request = client.request(
      url,
      {
        method: 'POST',
        lookup: pinned,
        headers: { 'Content-Type': post.contentType, 'Content-Length': Buffer.byteLength(post.body) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < ANSWER_KEEP_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        response.on('end', () =>
          finish({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).subarray(0, ANSWER_KEEP_BYTES),
          }),
        );
        response.on('error', () => finish({ error: 'connection failed' }));
      },
    );
    const stop = () => {
      finish({ error: NO_ANSWER_IN_TIME });
      request.destroy();
    };
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    request.on('error', () => finish({ error: 'connection failed' }));
    request.end(post.body);
  });
}
