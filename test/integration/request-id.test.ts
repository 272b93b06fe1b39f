import { Writable } from 'node:stream';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/app/logger';
import { DIALECTS } from '../support/databases';
import { type Stack, startStack } from '../support/stack';

/**
 * A merchant's support mail quotes the id it was shown; operations finds every log line of that
 * request with it (operations.md, Logs). Production logs are pino JSON.
 */
class LogLines extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) if (line) this.lines.push(JSON.parse(line));
    done();
  }
  about(requestId: string) {
    return this.lines.filter((line) => line.reqId === requestId);
  }
}

for (const dialect of DIALECTS) {
  describe(`request ids (${dialect})`, () => {
    const logs = new LogLines();
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(dialect, { mode: 'production', logger: createLogger('info', false, logs) });
    });
    afterAll(async () => {
      await stack?.close();
    });

    function idOf(response: Response): string {
      const id = response.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f]{16}$/);
      return id!;
    }

    it('shows the id on a refused purchase and logs every line of that request with it', async () => {
      const response = await stack.postPurchase(stack.purchaseFields({ cust_code: '' }));
      expect(response.status).toBe(400);
      const id = idOf(response);
      expect(await response.text()).toContain(`<dd class="code">${id}</dd>`);
      const lines = logs.about(id);
      expect(lines.map((line) => line.msg)).toEqual(
        expect.arrayContaining(['incoming request', 'request completed']),
      );
    });

    it('puts the id in every XML error answer', async () => {
      const response = await fetch(`${stack.gatewayUrl}/api/xmlapi.do`, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from('30000001:wrong').toString('base64')}` },
        body: '<?xml version="1.0" encoding="Shift_JIS"?><sps-api-request/>',
      });
      expect(response.status).toBe(401);
      const id = idOf(response);
      const xml = iconv.decode(Buffer.from(await response.arrayBuffer()), 'Shift_JIS');
      expect(xml).toContain(`<!-- request id ${id} -->`);
      expect(xml).toContain('<res_err_code>99914001</res_err_code>');
      expect(logs.about(id).length).toBeGreaterThanOrEqual(2);
    });

    it('names the request on a page that does not exist and on console error pages', async () => {
      const missing = await fetch(`${stack.gatewayUrl}/no-such-page`);
      expect(missing.status).toBe(404);
      expect(await missing.text()).toContain(idOf(missing));
      const form = await fetch(`${stack.gatewayUrl}/admin/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"broken',
        redirect: 'manual',
      });
      expect(form.status).toBe(400);
      expect(await form.text()).toContain(idOf(form));
    });

    it('gives each request its own id', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 20; i++) ids.add(idOf(await fetch(`${stack.gatewayUrl}/healthz`)));
      expect(ids.size).toBe(20);
    });
  });
}
