import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxOptions } from '../../src/sandbox/sandbox-app';
import { DIALECTS } from '../support/databases';
import {
  type RunningSandbox,
  type SandboxStore,
  sandboxStore,
  startSandbox,
  testKeys,
} from '../support/sandbox-harness';

/** The control API and console answer loopback callers, and others only with the control token. */
const REMOTE = '203.0.113.50';
const TOKEN = 'control-token-control-token-0123456789';

for (const dialect of DIALECTS)
  describe(`sandbox control access (${dialect})`, () => {
    let sandbox: RunningSandbox | undefined;
    let store: SandboxStore | undefined;
    afterEach(async () => {
      await sandbox?.app.close();
      await store?.drop();
      sandbox = undefined;
      store = undefined;
    });

    /** A sandbox on this dialect's store, with nothing recorded yet. */
    async function start(options: Partial<SandboxOptions> = {}): Promise<RunningSandbox> {
      store = await sandboxStore(dialect);
      return startSandbox({ databaseUrl: store.databaseUrl, ...options });
    }

    it('answers loopback callers over real HTTP', async () => {
      sandbox = await start();
      expect((await fetch(`${sandbox.url}/sandbox/v1/faults`)).status).toBe(200);
      expect((await fetch(`${sandbox.url}/sandbox`)).status).toBe(200);
    });

    it('refuses a non-loopback caller when no control token is set: no fault, clock move or client', async () => {
      sandbox = await start();
      const attempts = [
        { method: 'POST', url: '/sandbox/v1/faults', payload: { api: 'pay', mode: 'http500', count: 1 } },
        { method: 'POST', url: '/sandbox/v1/clock', payload: { offsetMs: 86_400_000 } },
        {
          method: 'PUT',
          url: '/sandbox/v1/clients/EVIL',
          payload: { publicKey: testKeys().acqp.publicKeyPem },
        },
        { method: 'GET', url: '/sandbox' },
      ] as const;
      for (const attempt of attempts) {
        const response = await sandbox.app.inject({ ...attempt, remoteAddress: REMOTE });
        expect(response.statusCode).toBe(403);
      }
      const faults = await (await fetch(`${sandbox.url}/sandbox/v1/faults`)).json();
      expect(faults).toEqual({ faults: [] });
      const clock = (await (await fetch(`${sandbox.url}/sandbox/v1/clock`)).json()) as { offsetMs: number };
      expect(clock.offsetMs).toBe(0);
      // The client was not registered: a call signed as EVIL with the offered key is unknown.
      const evil = await sandbox.call('inquiryPayment', { paymentRequestId: 'PR-1' }, { clientId: 'EVIL' });
      expect(evil.body.result.resultCode).toBe('INVALID_CLIENT');
    });

    it('with a control token, lets a non-loopback caller in only with that token (Bearer or Basic)', async () => {
      sandbox = await start({ controlToken: TOKEN });
      const get = (authorization?: string) =>
        sandbox!.app.inject({
          method: 'GET',
          url: '/sandbox/v1/faults',
          remoteAddress: REMOTE,
          headers: authorization ? { authorization } : {},
        });
      const none = await get();
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toContain('Basic');
      expect((await get(`Bearer ${TOKEN}x`)).statusCode).toBe(401);
      expect((await get('Bearer short')).statusCode).toBe(401);
      expect((await get(`Bearer ${TOKEN}`)).statusCode).toBe(200);
      const basic = `Basic ${Buffer.from(`anyone:${TOKEN}`).toString('base64')}`;
      expect((await get(basic)).statusCode).toBe(200);
    });

    it('leaves the shopper pages open to everyone', async () => {
      sandbox = await start();
      const response = await sandbox.app.inject({
        method: 'GET',
        url: '/sandbox/cashier/unknown-payment',
        remoteAddress: REMOTE,
      });
      expect(response.statusCode).not.toBe(403);
    });
  });
