import { type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';

/**
 * HTTP for the robustness tests: requests with exactly the headers a test gives — no User-Agent,
 * Content-Type or Accept added by a client library — and raw bytes on a socket for what no client
 * library sends (chunked bodies that outgrow the limit, conflicting framing headers).
 */
export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? 'POST',
        headers: options.headers ?? {},
        // A fresh connection each time: one test's broken framing never reaches the next request.
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body,
            text: body.toString('utf8'),
          });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/**
 * Writes `bytes` to a new connection and returns what came back before the server closed it (or
 * `waitMs`). The connection stays open for writing, so send `Connection: close` to be answered promptly.
 */
export function rawExchange(url: string, bytes: string | Buffer, waitMs = 2000): Promise<string> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    socket.write(bytes);
  });
}

/** One chunk of a `Transfer-Encoding: chunked` body. */
export function httpChunk(data: string): string {
  return `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;
}

/** The code and field a Link Type error page names (merchant-link-type.md, Errors). */
export function linkError(html: string): { code: string | null; field: string | null } {
  return {
    code: /<span class="code">(\d{4})<\/span>/.exec(html)?.[1] ?? null,
    field: /\/ Field<\/span>\s*<\/dt>\s*<dd class="code">([^<]*)<\/dd>/.exec(html)?.[1] ?? null,
  };
}

/**
 * POSTs `body` with the request-target in absolute form (`POST http://host:port/path HTTP/1.1`,
 * RFC 9112 §3.2.2), as some clients send it; no client library here writes that form, so the
 * request is written on a socket and the answer (framed by Content-Length) read back.
 */
export async function absoluteFormPost(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<RawAnswer> {
  const target = new URL(url);
  const head = [
    `POST ${target.href} HTTP/1.1`,
    `Host: ${target.host}`,
    `Content-Length: ${body.length}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ].join('\r\n');
  const raw = Buffer.from(
    await rawExchange(url, Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), body]), 10_000),
    'utf8',
  );
  const split = raw.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = raw.subarray(0, split).toString('latin1').split('\r\n');
  const answerHeaders: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    answerHeaders[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const answerBody = raw.subarray(split + 4, split + 4 + Number(answerHeaders['content-length'] ?? 0));
  return {
    status: Number(statusLine.split(' ')[1]),
    headers: answerHeaders,
    body: answerBody,
    text: answerBody.toString('utf8'),
  };
}
