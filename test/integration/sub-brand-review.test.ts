import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSON_CONTENT_TYPE, signMessage } from '../../src/alipayplus/signing';
import { gatewayKeys, sandboxKeyPair } from '../../src/app/keys';
import {
  approvedSubBrands,
  subBrandEvents,
  subBrandStates,
} from '../../src/governance/sub-brand-review.repository';
import { SubBrandReviewError } from '../../src/governance/sub-brand-review.service';
import { formatJstIso } from '../../src/kernel/jst';
import { loadPrivateKey } from '../../src/kernel/rsa';
import { DEMO_MERCHANT_ID } from '../../src/merchants/demo-seed';
import { SUB_BRAND_CODES } from '../../src/merchants/sub-brands';
import { DIALECTS } from '../support/databases';
import { eventually, type Stack, simulatePay, startStack, TEST_HASH_KEY } from '../support/stack';

const NOTIFY_PATH = '/alipayplus/notifyRegistrationStatus';

/** Sub-brand review through Alipay+ merchant registration (governance.md §1), end to end. */
for (const dialect of DIALECTS) {
  describe(`sub-brand review (${dialect})`, () => {
    let stack: Stack;
    let merchantCounter = 0;

    beforeAll(async () => {
      stack = await startStack(dialect);
    });
    afterAll(async () => {
      await stack?.close();
    });

    const service = () => stack.runtime.registrations!;
    const db = () => stack.database.db;

    /** A merchant with one service that accepts purchases from the test stack's shopper. */
    async function newMerchant(displayName: string): Promise<string> {
      const merchantId = String(31000 + ++merchantCounter);
      await db()
        .insertInto('merchants')
        .values({
          merchant_id: merchantId,
          name: `${displayName} Co., Ltd.`,
          display_name: displayName,
          mcc: '5999',
          city: 'Tokyo',
          region: 'JP',
          registered_on: '2026-01-01',
          suspended: 0,
          created_at: Date.now(),
        })
        .execute();
      await db()
        .insertInto('services')
        .values({
          merchant_id: merchantId,
          service_id: '001',
          display_name: displayName,
          hash_key: TEST_HASH_KEY,
          api_password_digest: null,
          encoding: 'Shift_JIS',
          url_hosts: JSON.stringify(['localhost', '127.0.0.1']),
          active: 1,
          maintenance: 0,
          created_at: Date.now(),
        })
        .execute();
      return merchantId;
    }

    async function statusOf(merchantId: string): Promise<Record<string, string>> {
      const states = await subBrandStates(db(), merchantId);
      return Object.fromEntries(states.map((s) => [s.subBrand, s.status]));
    }

    async function sandboxCalls(api: string): Promise<string[]> {
      const page = await fetch(`${stack.sandboxUrl}/sandbox`).then((r) => r.text());
      return [
        ...page.matchAll(new RegExp(`<td>${api}</td><td>[^<]*<br/><span class="muted">([^<]*)</span>`, 'g')),
      ].map((m) => m[1]!);
    }

    /** The request body of the call with `requestId`, as the sandbox console shows it. */
    async function sandboxRequestBody(requestId: string): Promise<string> {
      const page = await fetch(`${stack.sandboxUrl}/sandbox`).then((r) => r.text());
      const row = page.split('<tr>').find((r) => r.includes(`<span class="muted">${requestId}</span>`));
      const pre = /<pre>([^<]*)<\/pre>/.exec(row ?? '')?.[1] ?? '';
      return pre
        .replaceAll('&quot;', '"')
        .replaceAll('&#39;', "'")
        .replaceAll('&lt;', '<')
        .replaceAll('&gt;', '>')
        .replaceAll('&amp;', '&');
    }

    /** Posts a notifyRegistrationStatus signed with `key` (default: the sandbox's, i.e. Alipay+'s). */
    async function notify(
      body: Record<string, unknown>,
      options: { key?: 'sandbox' | 'gateway'; time?: Date } = {},
    ): Promise<{
      status: number;
      result: { resultCode: string; resultStatus: string; resultMessage: string };
    }> {
      const { config } = stack.runtime;
      const key =
        options.key === 'gateway'
          ? gatewayKeys(config).privateKey
          : loadPrivateKey(sandboxKeyPair(config).privateKeyPem);
      const bytes = Buffer.from(JSON.stringify(body), 'utf8');
      const time = formatJstIso(options.time ?? stack.clock.now());
      const clientId = config.alipayplus.clientId;
      const response = await fetch(stack.gatewayUrl + NOTIFY_PATH, {
        method: 'POST',
        headers: {
          'Content-Type': JSON_CONTENT_TYPE,
          'Client-Id': clientId,
          'Request-Time': time,
          Signature: signMessage(key, NOTIFY_PATH, clientId, time, bytes),
        },
        body: bytes,
      });
      const answer = (await response.json()) as {
        result: { resultCode: string; resultStatus: string; resultMessage: string };
      };
      return { status: response.status, result: answer.result };
    }

    it('registers the demo merchant at first start and approves every wallet through review', async () => {
      expect((await approvedSubBrands(db(), DEMO_MERCHANT_ID)).sort()).toEqual([...SUB_BRAND_CODES].sort());
      const registration = await db()
        .selectFrom('sub_brand_registrations')
        .selectAll()
        .where('merchant_id', '=', DEMO_MERCHANT_ID)
        .executeTakeFirstOrThrow();
      expect(registration.status).toBe('COMPLETED');
      const history = await subBrandEvents(db(), DEMO_MERCHANT_ID);
      // PENDING may be skipped: the notification can overtake the answer to `registration`.
      const gcash = history
        .filter((e) => e.subBrand === 'GCASH' && e.status !== 'PENDING')
        .map((e) => `${e.status}:${e.actor}`);
      expect(gcash.reverse()).toEqual(['APPLIED:demo first start', 'APPROVED:alipayplus']);
      expect(await sandboxCalls('registration')).toContain(registration.registration_request_id);
      // The registration carries the address, postcode and corporate number (governance.md §1).
      const sent = JSON.parse(await sandboxRequestBody(registration.registration_request_id)) as {
        merchantInfo: { merchantAddress: Record<string, string>; registrationDetail: Record<string, string> };
      };
      expect(sent.merchantInfo.merchantAddress).toEqual({
        region: 'JP',
        city: 'Tokyo',
        address1: '1-2-3 Marunouchi, Chiyoda-ku',
        zipCode: '100-0005',
      });
      expect(sent.merchantInfo.registrationDetail).toMatchObject({
        legalName: 'Kessai Demo Shop',
        registrationNumber: '4010001234567',
      });
    });

    it('rejects the wallet a REJECT-<PSP> name names, hides it from the cashier and refuses a payment by it', async () => {
      const merchantId = await newMerchant('Kessai Test REJECT-GCASH');
      await service().apply(merchantId, ['GCASH', 'DANA', 'TNG'], 'test');
      await eventually(
        async () =>
          Object.values(await statusOf(merchantId)).every((s) => s !== 'APPLIED' && s !== 'PENDING'),
        10_000,
      );
      expect(await statusOf(merchantId)).toEqual({ DANA: 'APPROVED', GCASH: 'REJECTED', TNG: 'APPROVED' });
      const [gcash] = (await subBrandStates(db(), merchantId)).filter((s) => s.subBrand === 'GCASH');
      expect(gcash?.reason).toContain('GCASH rejected the merchant at review');

      const fields = stack.purchaseFields({ merchant_id: merchantId });
      const response = await stack.postPurchase(fields);
      expect(response.status).toBe(303);
      const cashierUrl = response.headers.get('location')!;
      const payment = await stack.payment({ orderId: fields.order_id! });
      const [pay] = await db()
        .selectFrom('alipay_messages')
        .select('request_body')
        .where('tracking_id', '=', payment.tracking_id)
        .where('api', '=', 'pay')
        .execute();
      expect(JSON.parse(pay!.request_body).allowedPspNames).toEqual(['DANA', 'TNG']);
      const cashier = await fetch(cashierUrl).then((r) => r.text());
      expect(cashier).toContain('DANA');
      expect(cashier).not.toContain('GCash');
      const refused = await fetch(`${stack.sandboxUrl}/sandbox/v1/simulate/pay`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ cashierUrl, wallet: 'GCASH', user: 'alice', action: 'pay' }),
      });
      expect(refused.status).toBe(422);
      expect((await simulatePay(stack, { cashierUrl, wallet: 'DANA' })).status).toBe('SUCCESS');
    });

    it('lets a merchant apply again for a rejected sub-brand with a new request id, but not for a pending or approved one', async () => {
      const merchantId = await newMerchant('Kessai Retry REJECT-BOOST');
      const first = await service().apply(merchantId, ['BOOST', 'BPI'], 'test');
      await eventually(async () => (await statusOf(merchantId)).BOOST === 'REJECTED', 10_000);
      await expect(service().apply(merchantId, ['BPI'], 'test')).rejects.toThrow(SubBrandReviewError);
      await expect(service().apply(merchantId, ['NOT_A_WALLET'], 'test')).rejects.toThrow(
        /unknown sub-brand/,
      );
      await db()
        .updateTable('merchants')
        .set({ display_name: 'Kessai Retry' })
        .where('merchant_id', '=', merchantId)
        .execute();
      const second = await service().apply(merchantId, ['BOOST'], 'test');
      expect(second).not.toBe(first);
      await eventually(async () => (await statusOf(merchantId)).BOOST === 'APPROVED', 10_000);
      const boost = (await subBrandEvents(db(), merchantId))
        .filter((e) => e.subBrand === 'BOOST' && e.status !== 'PENDING')
        .map((e) => e.status);
      expect(boost.reverse()).toEqual(['APPLIED', 'REJECTED', 'APPLIED', 'APPROVED']);
    });

    it('keeps a HOLD merchant pending until the sandbox console decides, with the reason given there', async () => {
      const merchantId = await newMerchant('Kessai HOLD Shop');
      const id = await service().apply(merchantId, ['KAKAOPAY', 'TRUEMONEY'], 'test');
      await eventually(async () => (await statusOf(merchantId)).KAKAOPAY === 'PENDING', 10_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(await statusOf(merchantId)).toEqual({ KAKAOPAY: 'PENDING', TRUEMONEY: 'PENDING' });
      const decide = (psp: string, body: Record<string, string>) =>
        fetch(`${stack.sandboxUrl}/sandbox/v1/registrations/${id}/psps/${psp}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect((await decide('KAKAOPAY', { decision: 'REJECTED' })).status).toBe(400);
      expect((await decide('KAKAOPAY', { decision: 'REJECTED', reason: 'website incomplete' })).status).toBe(
        200,
      );
      expect((await decide('TRUEMONEY', { decision: 'APPROVED' })).status).toBe(200);
      expect((await decide('TRUEMONEY', { decision: 'REJECTED', reason: 'late' })).status).toBe(409);
      await eventually(async () => (await statusOf(merchantId)).TRUEMONEY === 'APPROVED', 10_000);
      const kakao = (await subBrandStates(db(), merchantId)).find((s) => s.subBrand === 'KAKAOPAY');
      expect(kakao).toMatchObject({ status: 'REJECTED', reason: 'website incomplete' });
    });

    it('re-sends a registration answered U with the same registrationRequestId', async () => {
      const merchantId = await newMerchant('Kessai Unknown Once');
      await fetch(`${stack.sandboxUrl}/sandbox/v1/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ api: 'registration', mode: 'unknown', count: 1 }),
      });
      const id = await service().apply(merchantId, ['ALIPAY_HK'], 'test');
      const sendJob = () =>
        db()
          .selectFrom('jobs')
          .selectAll()
          .where('kind', '=', 'governance.send-registration')
          .where('payload', 'like', `%${id}%`)
          .executeTakeFirstOrThrow();
      await eventually(
        async () => (await sendJob()).attempts === 1 && (await sendJob()).status === 'PENDING',
        10_000,
      );
      expect((await statusOf(merchantId)).ALIPAY_HK).toBe('APPLIED');
      // The re-send waits for the job back-off; move the gateway's clock past it.
      stack.clock.advance(10_000);
      stack.runtime.worker!.wake();
      await eventually(async () => (await statusOf(merchantId)).ALIPAY_HK === 'APPROVED', 10_000);
      expect(await sendJob()).toMatchObject({ attempts: 2, status: 'DONE' });
      expect(await sandboxCalls('registration')).toContain(id);
    });

    it('takes a notification that overtakes the registration answer as the start of the review', async () => {
      const merchantId = await newMerchant('Kessai Overtaken');
      await fetch(`${stack.sandboxUrl}/sandbox/v1/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ api: 'registration', mode: 'unknown', count: 1 }),
      });
      const id = await service().apply(merchantId, ['BPI'], 'test');
      const registration = () =>
        db()
          .selectFrom('sub_brand_registrations')
          .selectAll()
          .where('registration_request_id', '=', id)
          .executeTakeFirstOrThrow();
      const inquiries = () =>
        db()
          .selectFrom('jobs')
          .select('id')
          .where('kind', '=', 'governance.inquire-registration')
          .where('payload', 'like', `%${id}%`)
          .execute();
      await eventually(async () => {
        const job = await db()
          .selectFrom('jobs')
          .select('attempts')
          .where('kind', '=', 'governance.send-registration')
          .where('payload', 'like', `%${id}%`)
          .executeTakeFirstOrThrow();
        return job.attempts === 1;
      }, 10_000);
      expect((await registration()).status).toBe('SENDING');
      expect(await inquiries()).toHaveLength(0);

      const report = {
        referenceMerchantId: merchantId,
        registrationRequestId: id,
        registrationResult: { registrationStatus: 'PROCESSING' },
        pspRegistrationResultList: [
          { pspName: 'BPI', registrationResult: { registrationStatus: 'PENDING' } },
        ],
      };
      expect((await notify(report)).result.resultCode).toBe('SUCCESS');
      expect((await statusOf(merchantId)).BPI).toBe('PENDING');
      expect((await registration()).status).toBe('PROCESSING');
      expect(await inquiries()).toHaveLength(1);
    });

    it('refuses forged, replayed and unknown-merchant notifications, changing nothing', async () => {
      const merchantId = await newMerchant('Kessai Forgery Target HOLD');
      const id = await service().apply(merchantId, ['GCASH'], 'test');
      await eventually(async () => (await statusOf(merchantId)).GCASH === 'PENDING', 10_000);
      const approval = {
        referenceMerchantId: merchantId,
        registrationRequestId: id,
        registrationResult: { registrationStatus: 'COMPLETED' },
        pspRegistrationResultList: [
          { pspName: 'GCASH', registrationResult: { registrationStatus: 'APPROVED' } },
        ],
      };
      const before = await subBrandEvents(db(), merchantId);

      const forged = await notify(approval, { key: 'gateway' });
      expect(forged).toMatchObject({
        status: 401,
        result: { resultCode: 'INVALID_SIGNATURE', resultStatus: 'F' },
      });
      const replayed = await notify(approval, { time: new Date(stack.clock.now().getTime() - 60 * 60_000) });
      expect(replayed.status).toBe(401);
      expect(replayed.result.resultMessage).toContain('replayed');
      const otherMerchant = await notify({ ...approval, referenceMerchantId: DEMO_MERCHANT_ID });
      expect(otherMerchant).toMatchObject({ status: 200, result: { resultStatus: 'F' } });
      expect(otherMerchant.result.resultMessage).toContain('not the merchant of this registration');
      const unknown = await notify({ ...approval, registrationRequestId: 'REG-NEVER-SENT' });
      expect(unknown.result).toMatchObject({
        resultStatus: 'F',
        resultMessage: 'no such registrationRequestId',
      });
      const malformed = await notify({ registrationRequestId: id });
      expect(malformed).toMatchObject({ status: 400, result: { resultCode: 'PARAM_ILLEGAL' } });

      expect(await statusOf(merchantId)).toEqual({ GCASH: 'PENDING' });
      expect(await subBrandEvents(db(), merchantId)).toEqual(before);

      // The genuine one is applied, and its repeat is acknowledged without a second change.
      expect((await notify(approval)).result.resultCode).toBe('SUCCESS');
      expect((await notify(approval)).result.resultCode).toBe('SUCCESS');
      expect(await statusOf(merchantId)).toEqual({ GCASH: 'APPROVED' });
      expect((await subBrandEvents(db(), merchantId)).filter((e) => e.status === 'APPROVED')).toHaveLength(1);
    });

    it('withdraws an approved sub-brand at once, and answers 5111 once none is left', async () => {
      const merchantId = await newMerchant('Kessai Withdrawn');
      await service().apply(merchantId, ['GCASH', 'DANA'], 'test');
      await eventually(async () => (await approvedSubBrands(db(), merchantId)).length === 2, 10_000);
      await expect(service().withdraw(merchantId, 'GCASH', ' ', 'operator@example.jp')).rejects.toThrow(
        /reason/,
      );
      await service().withdraw(
        merchantId,
        'GCASH',
        'complaints from the Core Operator',
        'operator@example.jp',
      );
      await expect(service().withdraw(merchantId, 'GCASH', 'again', 'operator@example.jp')).rejects.toThrow(
        /not approved/,
      );
      await expect(service().apply(merchantId, ['GCASH'], 'test')).rejects.toThrow(/withdrawn|WITHDRAWN/);
      expect(await approvedSubBrands(db(), merchantId)).toEqual(['DANA']);
      expect((await stack.postPurchase(stack.purchaseFields({ merchant_id: merchantId }))).status).toBe(303);

      await service().withdraw(merchantId, 'DANA', 'closing', 'operator@example.jp');
      const refused = await stack.postPurchase(stack.purchaseFields({ merchant_id: merchantId }));
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain('5111');
    });

    it('finds a lost notification by inquiry after 10 minutes of silence', async () => {
      const merchantId = await newMerchant('Kessai Lost Notification');
      await fetch(`${stack.sandboxUrl}/sandbox/v1/faults`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ api: 'notify', mode: 'drop', count: 20 }),
      });
      try {
        const id = await service().apply(merchantId, ['RABBIT_LINE_PAY'], 'test');
        await eventually(async () => (await statusOf(merchantId)).RABBIT_LINE_PAY === 'PENDING', 10_000);
        await new Promise((r) => setTimeout(r, 300));
        expect((await statusOf(merchantId)).RABBIT_LINE_PAY).toBe('PENDING');
        // Both sides move on together, so signatures stay current.
        stack.clock.advance(11 * 60_000);
        stack.sandboxClock.advance(11 * 60_000);
        stack.runtime.worker!.wake();
        await eventually(async () => (await statusOf(merchantId)).RABBIT_LINE_PAY === 'APPROVED', 10_000);
        expect(await sandboxCalls('inquiryRegistrationStatus')).toContain(id);
      } finally {
        await fetch(`${stack.sandboxUrl}/sandbox/v1/faults`, { method: 'DELETE' });
      }
    });
  });
}
