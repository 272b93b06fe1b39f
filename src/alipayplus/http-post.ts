import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';

export interface PostAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface PostOptions {
  /** The whole answer must be in by then. */
  timeoutMs: number;
  /** `error` (default): a redirect fails the call; `answer`: it is the answer (fetch's `manual`). */
  redirect?: 'error' | 'answer';
  /** Aborts the call: it fails with an `AbortError`. */
  signal?: AbortSignal;
}

/**
 * POSTs `body` and reads the whole answer through node:http's kept-alive connections, rather than
 * `fetch`, whose web streams, Headers and AbortSignal cost more CPU than the call's RSA signature
 * (bench/README.md, Changes). It fails as `fetch` did with `AbortSignal.timeout`: a
 * `TimeoutError` when the answer is not all in within `timeoutMs`, a `TypeError` when the
 * connection fails (its `cause` the socket's error, with its `code`) or, unless asked otherwise, the
 * answer is a redirect.
 */
export function post(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
  options: PostOptions,
): Promise<PostAnswer> {
  const client = url.startsWith('https:') ? https : http;
  const { signal } = options;
  return new Promise<PostAnswer>((resolve, reject) => {
    let settled = false;
    const fail = (name: 'TimeoutError' | 'TypeError' | 'AbortError', message: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      const error = new Error(message, { cause });
      error.name = name;
      reject(error);
      request.destroy();
    };
    const abort = () => fail('AbortError', 'the call was aborted');
    const request = client.request(
      url,
      { method: 'POST', headers: { ...headers, 'Content-Length': String(body.length) } },
      (response) => {
        const status = response.statusCode ?? 0;
        if (options.redirect !== 'answer' && status >= 300 && status < 400 && response.headers.location) {
          fail('TypeError', 'unexpected redirect');
          return;
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', abort);
          resolve({ status, headers: response.headers, body: Buffer.concat(chunks) });
        });
        // The connection closed before the whole answer came.
        response.on('close', () => fail('TypeError', 'answer cut off'));
        response.on('error', (error) => fail('TypeError', error.message, error));
      },
    );
    const timer = setTimeout(
      () => fail('TimeoutError', `no answer within ${options.timeoutMs} ms`),
      options.timeoutMs,
    );
    request.on('error', (error) => fail('TypeError', error.message, error));
    if (signal?.aborted) abort();
    else signal?.addEventListener('abort', abort, { once: true });
    request.end(body);
  });
}

/** A header as `fetch`'s Headers.get gives it: repeated values joined, null when absent. */
export function headerOf(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}
