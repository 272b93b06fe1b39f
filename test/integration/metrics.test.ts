import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/databases';
import { enableXmlApi, refundOverXmlApi } from '../support/merchant-api';
import { eventually, type Stack, simulatePay, startStack } from '../support/stack';

/** The business series of operations.md ("What to watch"), read over real HTTP as Prometheus would. */
async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of one series (0 when absent), e.g. `sample(text, 'kessai_payments', { status: 'CAPTURED' })`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) total += Number(match[3]);
  }
  return total;
}

async function setFault(stack: Stack, fault: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${stack.sandboxUrl}/sandbox/v1/faults`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(fault),
  });
  expect(response.status).toBe(201);
}

async function notificationOf(stack: Stack, orderId: string) {
  const { tracking_id } = await stack.payment({ orderId });
  return stack.database.db
    .selectFrom('notifications')
    .selectAll()
    .where('tracking_id', '=', tracking_id)
    .executeTakeFirst();
}

for (const dialect of DIALECTS) {
  describe(`metrics (${dialect})`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(dialect, { timeoutMs: 1500 });
      await enableXmlApi(stack);
    });
    afterAll(async () => {
      await stack?.close();
    });

    async function buy(): Promise<string> {
      const fields = stack.purchaseFields();
      const response = await stack.postPurchase(fields);
      expect(response.status).toBe(303);
      const paid = await simulatePay(stack, { cashierUrl: response.headers.get('location')! });
      expect(paid.status).toBe('SUCCESS');
      await eventually(async () => (await notificationOf(stack, fields.order_id!))?.attempts === 1);
      return fields.order_id!;
    }

    it('counts payments by state, Alipay+ calls by API and outcome, and A02-1 attempts', async () => {
      const before = await scrape(stack.gatewayUrl);
      await buy();
      const after = await scrape(stack.gatewayUrl);
      expect(sample(after, 'kessai_metrics_database_up')).toBe(1);
      expect(sample(after, 'kessai_payments', { status: 'CAPTURED' })).toBe(
        sample(before, 'kessai_payments', { status: 'CAPTURED' }) + 1,
      );
      expect(sample(after, 'kessai_alipayplus_call_seconds_count', { api: 'pay' })).toBe(
        sample(before, 'kessai_alipayplus_call_seconds_count', { api: 'pay' }) + 1,
      );
      expect(sample(after, 'kessai_notification_attempts_total', { outcome: 'accepted' })).toBe(
        sample(before, 'kessai_notification_attempts_total', { outcome: 'accepted' }) + 1,
      );
    });

    it('labels a refund that timed out, then counts it once Alipay+ answers its re-send', async () => {
      const orderId = await buy();
      const { tracking_id } = await stack.payment({ orderId });
      const before = await scrape(stack.gatewayUrl);
      await setFault(stack, { api: 'refund', mode: 'timeout', count: 1, delayMs: 3000 });
      const answer = await refundOverXmlApi(stack, tracking_id, 100);
      expect(answer.res_result).toBe('AC'); // accepted, Alipay+'s answer pending
      const during = await scrape(stack.gatewayUrl);
      expect(
        sample(during, 'kessai_alipayplus_call_seconds_count', { api: 'refund', outcome: 'timeout' }),
      ).toBe(
        sample(before, 'kessai_alipayplus_call_seconds_count', { api: 'refund', outcome: 'timeout' }) + 1,
      );
      expect(sample(during, 'kessai_refunds_total', { outcome: 'SUCCEEDED' })).toBe(
        sample(before, 'kessai_refunds_total', { outcome: 'SUCCEEDED' }),
      );
      // The re-send job (30 s later) gets S.
      stack.clock.advance(31_000);
      stack.runtime.worker!.wake();
      await eventually(async () => {
        const row = await stack.database.db
          .selectFrom('refunds')
          .select('status')
          .where('tracking_id', '=', tracking_id)
          .executeTakeFirst();
        return row?.status === 'SUCCEEDED';
      }, 10_000);
      const after = await scrape(stack.gatewayUrl);
      expect(sample(after, 'kessai_alipayplus_call_seconds_count', { api: 'refund', outcome: 'S' })).toBe(
        sample(before, 'kessai_alipayplus_call_seconds_count', { api: 'refund', outcome: 'S' }) + 1,
      );
      expect(sample(after, 'kessai_refunds_total', { outcome: 'SUCCEEDED' })).toBe(
        sample(before, 'kessai_refunds_total', { outcome: 'SUCCEEDED' }) + 1,
      );
    });

    it('shows due jobs with their age, and notifications undelivered after the last attempt', async () => {
      stack.merchant.setAnswer('http500');
      try {
        const orderId = await buy();
        let text = await scrape(stack.gatewayUrl);
        expect(
          sample(text, 'kessai_notification_attempts_total', { outcome: 'failed' }),
        ).toBeGreaterThanOrEqual(1);
        // Each retry falls due when the clock passes it; the worker is stopped at the eighth so
        // that a due job can be seen waiting.
        for (let attempt = 2; attempt <= 8; attempt++) {
          const waited = (await notificationOf(stack, orderId))!;
          stack.clock.advance(waited.next_attempt_at! - stack.clock.now().getTime() + 1000);
          if (attempt === 8) {
            await stack.runtime.worker!.stop();
            stack.clock.advance(60_000);
            text = await scrape(stack.gatewayUrl);
            expect(sample(text, 'kessai_jobs_due', { kind: 'notification.deliver' })).toBeGreaterThanOrEqual(
              1,
            );
            expect(
              sample(text, 'kessai_job_oldest_due_age_seconds', { kind: 'notification.deliver' }),
            ).toBeGreaterThanOrEqual(60);
            stack.runtime.worker!.start();
          }
          stack.runtime.worker!.wake();
          await eventually(async () => (await notificationOf(stack, orderId))!.attempts === attempt, 10_000);
        }
        expect((await notificationOf(stack, orderId))!.status).toBe('UNDELIVERED');
        text = await scrape(stack.gatewayUrl);
        expect(sample(text, 'kessai_notifications_undelivered')).toBeGreaterThanOrEqual(1);
      } finally {
        stack.merchant.setAnswer('ok');
      }
    });
  });

  describe(`metrics in production (${dialect})`, () => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(dialect, { mode: 'production', env: { KESSAI_METRICS_PORT: '0' } });
    });
    afterAll(async () => {
      await stack?.close();
    });

    it('are not served on the public port, only on their own', async () => {
      expect((await fetch(`${stack.gatewayUrl}/metrics`)).status).toBe(404);
      const { port } = stack.runtime.apps.metrics!.server.address() as AddressInfo;
      const text = await scrape(`http://127.0.0.1:${port}`);
      expect(sample(text, 'kessai_metrics_database_up')).toBe(1);
      expect(text).toContain('# TYPE kessai_alipayplus_call_seconds histogram');
      expect(text).toContain('process_cpu_seconds_total');
    });
  });
}
