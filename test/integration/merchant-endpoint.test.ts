import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postToMerchant } from '../../src/notifications/merchant-endpoint';

/** The A02-1 sender's allow-list and DNS pinning (merchant-link-type.md, fields 21–24). */
describe('posting to a merchant', () => {
  let server: Server;
  let port: number;
  const received: string[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (c: Buffer) => {
        body += c.toString();
      });
      request.on('end', () => {
        received.push(`${request.headers.host} ${body}`);
        response.end('OK,');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const base = { body: 'a=1', contentType: 'application/x-www-form-urlencoded', timeoutMs: 2000 };
  const toLoopback = async () => [{ address: '127.0.0.1', family: 4 }];

  it('posts to a registered host and reads the answer', async () => {
    const answer = await postToMerchant({
      ...base,
      url: `http://127.0.0.1:${port}/pagecon`,
      registeredHosts: ['127.0.0.1'],
      mode: 'demo',
    });
    expect(answer).toMatchObject({ status: 200 });
    expect('body' in answer && answer.body.toString()).toBe('OK,');
  });

  it('refuses a host that is not registered, without connecting', async () => {
    const before = received.length;
    const answer = await postToMerchant({
      ...base,
      url: `http://127.0.0.1:${port}/pagecon`,
      registeredHosts: ['shop.example.jp'],
      mode: 'demo',
    });
    expect(answer).toEqual({ error: 'host is not registered for the service' });
    expect(received.length).toBe(before);
  });

  it('in production, refuses a registered name (wildcard) that resolves to an internal address', async () => {
    const before = received.length;
    const answer = await postToMerchant({
      ...base,
      url: `http://evil.shop.example.jp:${port}/pagecon`,
      registeredHosts: ['*.shop.example.jp'],
      mode: 'production',
      resolve: toLoopback,
    });
    expect(answer).toEqual({ error: 'host resolves to an internal address' });
    expect(received.length).toBe(before);
  });

  it('in production, refuses even an exactly registered name that resolves to an internal address', async () => {
    const answer = await postToMerchant({
      ...base,
      url: `http://callback.shop.example.jp:${port}/pagecon`,
      registeredHosts: ['callback.shop.example.jp'],
      mode: 'production',
      resolve: toLoopback,
    });
    expect(answer).toEqual({ error: 'host resolves to an internal address' });
  });

  it('in production, reaches an internal address registered exactly as an IP literal (an operator’s entry)', async () => {
    const answer = await postToMerchant({
      ...base,
      url: `http://127.0.0.1:${port}/pagecon`,
      registeredHosts: ['127.0.0.1'],
      mode: 'production',
    });
    expect(answer).toMatchObject({ status: 200 });
  });

  it('in production, delivers to `localhost` registered exactly (an operator’s entry), as A01-1 accepts it', async () => {
    const answer = await postToMerchant({
      ...base,
      url: `http://localhost:${port}/pagecon`,
      registeredHosts: ['localhost'],
      mode: 'production',
      resolve: toLoopback,
    });
    expect(answer).toMatchObject({ status: 200 });
  });

  it('connects to the address it checked, whatever the name', async () => {
    const answer = await postToMerchant({
      ...base,
      url: `http://callback.shop.example.jp:${port}/pagecon`,
      registeredHosts: ['callback.shop.example.jp'],
      mode: 'demo',
      resolve: toLoopback,
    });
    expect(answer).toMatchObject({ status: 200 });
    expect(received.at(-1)).toBe(`callback.shop.example.jp:${port} a=1`);
  });

  /** Runs `use` against a server that accepts connections and never answers. */
  async function withSilentServer(use: (url: string) => Promise<void>): Promise<void> {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const silentPort = typeof address === 'object' && address ? address.port : 0;
    try {
      await use(`http://127.0.0.1:${silentPort}/pagecon`);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }

  it('gives up on a merchant that does not answer in time', () =>
    withSilentServer(async (url) => {
      const answer = await postToMerchant({
        ...base,
        timeoutMs: 200,
        url,
        registeredHosts: ['127.0.0.1'],
        mode: 'demo',
      });
      expect(answer).toEqual({ error: 'no answer in time' });
    }));

  it('gives up in time on a name whose resolution hangs', async () => {
    const answer = await postToMerchant({
      ...base,
      timeoutMs: 200,
      url: 'http://slow.shop.example.jp/pagecon',
      registeredHosts: ['slow.shop.example.jp'],
      mode: 'demo',
      resolve: () => new Promise(() => {}),
    });
    expect(answer).toEqual({ error: 'no answer in time' });
  });

  it('stops an attempt when its job gives it up', () =>
    withSilentServer(async (url) => {
      const lease = new AbortController();
      const pending = postToMerchant({
        ...base,
        timeoutMs: 60_000,
        url,
        registeredHosts: ['127.0.0.1'],
        mode: 'demo',
        signal: lease.signal,
      });
      lease.abort();
      expect(await pending).toEqual({ error: 'no answer in time' });
    }));
});
