import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { canonicalHost, isInternalHost, isRegisteredHost } from '../channels/link/url-hosts';

/**
 * Posts to a merchant's server (A02-1) — the gateway's one outgoing call to an address a merchant
 * chose. The URL's host must be registered for the service. In production an internal (loopback,
 * private, link-local) address is reached only through an IP literal registered exactly — which
 * only an operator can register (merchant-link-type.md, fields 21–24) — and a host name that
 * resolves to one is refused. The connection goes to the address that was checked, so a DNS answer
 * that changes between check and connect cannot redirect it.
 */
export type MerchantAnswer = { status: number; body: Buffer } | { error: string };

/** What is read of a merchant's answer: enough for `OK,` / `NG,<message>`. */
const ANSWER_KEEP_BYTES = 2048;

export interface MerchantPost {
  url: string;
  body: string;
  contentType: string;
  registeredHosts: readonly string[];
  mode: 'demo' | 'production';
  timeoutMs: number;
  /** Name resolution (the system resolver unless a test stands in for DNS). */
  resolve?: (host: string) => Promise<Array<{ address: string; family: number }>>;
}

const systemResolve = (host: string) => lookup(host, { all: true });

async function checkedAddress(
  url: URL,
  post: MerchantPost,
): Promise<{ address: string; family: number } | string> {
  const host = canonicalHost(url.hostname);
  if (host === null) return 'invalid host';
  if (isIP(host) !== 0) return { address: host, family: isIP(host) };
  let addresses: Array<{ address: string; family: number }>;
  try {
    addresses = await (post.resolve ?? systemResolve)(host);
  } catch {
    return 'host name does not resolve';
  }
  const first = addresses[0];
  if (!first) return 'host name does not resolve';
  if (post.mode === 'production' && addresses.some((a) => isInternalHost(a.address))) {
    return 'host resolves to an internal address';
  }
  return first;
}

export async function postToMerchant(post: MerchantPost): Promise<MerchantAnswer> {
  let url: URL;
  try {
    url = new URL(post.url);
  } catch {
    return { error: 'invalid URL' };
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    !isRegisteredHost(url, post.registeredHosts, post.mode)
  ) {
    return { error: 'host is not registered for the service' };
  }
  const target = await checkedAddress(url, post);
  if (typeof target === 'string') return { error: target };
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
      clearTimeout(timer);
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
    const timer = setTimeout(() => {
      finish({ error: 'no answer in time' });
      request.destroy();
    }, post.timeoutMs);
    request.on('error', () => finish({ error: 'connection failed' }));
    request.end(post.body);
  });
}
