import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readResultForm } from '../../src/demo-shop/result-form';
import type { Charset } from '../../src/kernel/charset';

/**
 * A merchant for integration tests: receives A02-1 at `/pagecon` and A03-1 at
 * `/success|/cancel|/error`, verifies each hash the way a merchant following the guide would
 * (merchant-link-type.md), records everything, and answers A02-1 as the test asks.
 */
export type StubAnswer = 'ok' | 'ng' | 'timeout' | 'http500' | 'garbage' | 'redirect';

export interface ReceivedPost {
  /** Decoded fields; empty when the body was not a form in the stub's charset. */
  fields: Record<string, string>;
  raw: Buffer;
  hashValid: boolean;
  at: Date;
}

export interface ResultPagePost extends ReceivedPost {
  path: 'success' | 'cancel' | 'error';
}

export interface MerchantStub {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every A02-1 received, in arrival order, whatever the answer was. */
  notifications: ReceivedPost[];
  /** Every A03-1 the browser posted. */
  resultPages: ResultPagePost[];
  /** How `/pagecon` answers from now on (until set again); `ok` at start. */
  setAnswer(mode: StubAnswer): void;
  /** Resolves once at least `n` notifications have arrived; rejects after `timeoutMs` (5 s). */
  waitForNotifications(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const RESULT_PATHS = new Set(['success', 'cancel', 'error']);

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function answer(response: ServerResponse, status: number, body: string, type = 'text/plain'): void {
  response.writeHead(status, { 'content-type': `${type}; charset=UTF-8` }).end(body);
}

/**
 * Starts the stub on 127.0.0.1 and a free port. `charset` is the service's encoding as the merchant
 * decodes it: `windows-31j` (the default, for a Shift_JIS service, as the merchant guide says),
 * `shift_jis-strict` (a client built on strict Shift_JIS) or `utf-8`.
 */
export async function startMerchantStub(options: {
  hashKey: string;
  charset?: Charset;
  /** A given port (a merchant coming back where it was); a free one by default. */
  port?: number;
}): Promise<MerchantStub> {
  const charset = options.charset ?? 'windows-31j';
  const notifications: ReceivedPost[] = [];
  const resultPages: ResultPagePost[] = [];
  const waiters: Array<() => void> = [];
  let mode: StubAnswer = 'ok';

  const receive = (raw: Buffer, kind: 'A02-1' | 'A03-1'): ReceivedPost => {
    const read = readResultForm(raw, options.hashKey, kind, charset);
    return read.ok
      ? { fields: read.fields, raw, hashValid: read.hashValid, at: new Date() }
      : { fields: {}, raw, hashValid: false, at: new Date() };
  };

  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0]!.replace(/^\//, '');
    if (request.method !== 'POST' || (path !== 'pagecon' && !RESULT_PATHS.has(path))) {
      answer(response, 404, 'not found');
      return;
    }
    readBody(request).then(
      (raw) => {
        if (path !== 'pagecon') {
          resultPages.push({ ...receive(raw, 'A03-1'), path: path as ResultPagePost['path'] });
          answer(response, 200, '<!DOCTYPE html><title>result</title><p>result received</p>', 'text/html');
          return;
        }
        notifications.push(receive(raw, 'A02-1'));
        for (const wake of waiters.splice(0)) wake();
        switch (mode) {
          case 'ok':
            return answer(response, 200, 'OK,');
          case 'ng':
            return answer(response, 200, 'NG,refused by the merchant stub');
          case 'http500':
            return answer(response, 500, 'internal error');
          case 'garbage':
            return answer(response, 200, 'hello');
          case 'redirect':
            // A redirect is not an answer: the gateway must neither follow it nor count it as OK.
            response.writeHead(302, { location: '/pagecon-moved' }).end();
            return;
          case 'timeout':
            // Holds the socket open without a byte: the gateway's 10 s timeout must fire. close() ends it.
            return;
        }
      },
      () => response.destroy(),
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    notifications,
    resultPages,
    setAnswer(next) {
      mode = next;
    },
    waitForNotifications(n, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (notifications.length < n) return false;
          clearTimeout(timer);
          resolve();
          return true;
        };
        const timer = setTimeout(() => {
          const index = waiters.indexOf(wait);
          if (index >= 0) waiters.splice(index, 1);
          reject(
            new Error(`expected ${n} notifications within ${timeoutMs} ms, got ${notifications.length}`),
          );
        }, timeoutMs);
        const wait = (): void => {
          if (!check()) waiters.push(wait);
        };
        wait();
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Held ('timeout') and keep-alive sockets would keep close() waiting for ever.
        server.closeAllConnections();
      });
    },
  };
}
