import { createSign, createVerify, type KeyObject } from 'node:crypto';

/**
 * Alipay+ message signatures (alipayplus.md, Signing), used by the connector and by the sandbox.
 *
 *   POST <path>\n<Client-Id>.<Request-Time or Response-Time>.<exact body bytes>
 *
 * signed SHA256withRSA, base64, then URL-encoded, in
 * `Signature: algorithm=RSA256,keyVersion=1,signature=<…>`.
 */
export interface SignedHeaders {
  'client-id': string;
  signature: string;
  'content-type': string;
  'request-time'?: string;
  'response-time'?: string;
}

export const JSON_CONTENT_TYPE = 'application/json; charset=UTF-8';

/**
 * The path a signature covers (alipayplus.md, Signing: "path only, no scheme, host or query"),
 * whichever form the request-target arrives in: origin form (`/aps/…`) or the absolute form
 * (`https://host/aps/…`, RFC 9112 §3.2.2) that the official Alipay+ SDK sends.
 */
export function signedPath(requestTarget: string): string {
  const path = requestTarget.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  const end = path.search(/[?#]/);
  const only = end === -1 ? path : path.slice(0, end);
  return only === '' ? '/' : only;
}

function contentToSign(path: string, clientId: string, time: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`POST ${path}\n${clientId}.${time}.`, 'utf8'), body]);
}

export function signMessage(
  privateKey: KeyObject,
  path: string,
  clientId: string,
  time: string,
  body: Buffer,
): string {
  const signer = createSign('RSA-SHA256');
  signer.update(contentToSign(path, clientId, time, body));
  const base64 = signer.sign(privateKey, 'base64');
  return `algorithm=RSA256,keyVersion=1,signature=${encodeURIComponent(base64)}`;
}

/** Parses the `Signature` header; `null` when it is not of the expected shape. */
export function parseSignatureHeader(header: string): { keyVersion: string; signature: Buffer } | null {
  const parts = new Map<string, string>();
  for (const piece of header.split(',')) {
    const eq = piece.indexOf('=');
    if (eq <= 0) return null;
    parts.set(piece.slice(0, eq).trim(), piece.slice(eq + 1).trim());
  }
  const algorithm = parts.get('algorithm');
  const value = parts.get('signature');
  if (algorithm !== 'RSA256' || !value) return null;
  let base64: string;
  try {
    base64 = decodeURIComponent(value);
  } catch {
    return null;
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return null;
  return { keyVersion: parts.get('keyVersion') ?? '1', signature: Buffer.from(base64, 'base64') };
}

export function verifyMessage(
  publicKey: KeyObject,
  path: string,
  clientId: string,
  time: string,
  body: Buffer,
  signatureHeader: string,
): boolean {
  const parsed = parseSignatureHeader(signatureHeader);
  if (!parsed) return false;
  const verifier = createVerify('RSA-SHA256');
  verifier.update(contentToSign(path, clientId, time, body));
  try {
    return verifier.verify(publicKey, parsed.signature);
  } catch {
    return false;
  }
}

/** Reads an Alipay+ time: ISO-8601 with offset or `Z`, or epoch milliseconds. */
export function parseAlipayTime(text: string): Date | null {
  if (/^\d{10,16}$/.test(text)) return new Date(Number(text));
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}
