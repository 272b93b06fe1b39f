import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningSandbox, startAcqp, startSandbox, type TestAcqp } from '../support/sandbox-harness';

/** The sandbox's side of merchant registration (governance.md §1; sandbox docs, Merchant registration). */
let sandbox: RunningSandbox;
let acqp: TestAcqp;
let sequence = 0;

beforeEach(async () => {
  sandbox = await startSandbox({ reviewSeconds: 0 });
  acqp = await startAcqp();
});
afterEach(async () => {
  await sandbox?.close();
  await acqp?.close();
});

function registration(displayName: string, pspNames: string[], merchantId = `M${++sequence}`) {
  return {
    registrationRequestId: `REG-${process.pid}-${++sequence}`,
    registrationNotifyURL: acqp.notifyUrl,
    productCodes: ['CASHIER_PAYMENT'],
    merchantInfo: {
      referenceMerchantId: merchantId,
      merchantDisplayName: displayName,
      merchantMCC: '5999',
      merchantAddress: { region: 'JP', city: 'Tokyo' },
      registrationDetail: { legalName: `${displayName} K.K.` },
    },
    pspNames,
  };
}

describe('sandbox merchant registration', () => {
  it('reviews automatically, rejects the REJECT-<PSP> wallet, and notifies until acknowledged', async () => {
    acqp.behave = (n) => (n === 1 ? 'http500' : 'ok');
    const body = registration('Shop REJECT-DANA', ['GCASH', 'DANA']);
    const answer = await sandbox.call('registration', body);
    expect(answer.verified).toBe(true);
    expect(answer.body).toMatchObject({ result: { resultCode: 'SUCCESS', resultStatus: 'S' } });
    const [first, second] = await acqp.waitFor(2);
    expect(first!.verified).toBe(true);
    expect(second!.body).toEqual({
      referenceMerchantId: body.merchantInfo.referenceMerchantId,
      registrationRequestId: body.registrationRequestId,
      registrationResult: { registrationStatus: 'COMPLETED' },
      pspRegistrationResultList: [
        {
          pspName: 'DANA',
          registrationResult: {
            registrationStatus: 'REJECTED',
            rejectReason: 'DANA rejected the merchant at review (sandbox magic name)',
          },
        },
        { pspName: 'GCASH', registrationResult: { registrationStatus: 'APPROVED' } },
      ],
    });
    const wallets = await sandbox.control(
      'GET',
      `/sandbox/v1/merchants/${body.merchantInfo.referenceMerchantId}/wallets`,
    );
    expect(wallets.body.wallets).toEqual(['GCASH']);
  });

  it('keeps a HOLD merchant pending, answers inquiries, and takes decisions from the console', async () => {
    const body = registration('HOLD Shop', ['TNG', 'BOOST']);
    await sandbox.call('registration', body);
    await new Promise((r) => setTimeout(r, 200));
    expect(acqp.received).toHaveLength(0);
    const pending = await sandbox.call('inquiryRegistrationStatus', {
      registrationRequestId: body.registrationRequestId,
    });
    expect(pending.body.registrationResult).toEqual({ registrationStatus: 'PROCESSING' });
    const byMerchant = await sandbox.call('inquiryRegistrationStatus', {
      referenceMerchantId: body.merchantInfo.referenceMerchantId,
    });
    expect(byMerchant.body.registrationRequestId).toBe(body.registrationRequestId);

    const path = `/sandbox/v1/registrations/${body.registrationRequestId}/psps`;
    expect((await sandbox.control('POST', `${path}/TNG`, { decision: 'REJECTED' })).status).toBe(400);
    expect((await sandbox.control('POST', `${path}/GCASH`, { decision: 'APPROVED' })).status).toBe(404);
    expect(
      (await sandbox.control('POST', `${path}/TNG`, { decision: 'REJECTED', reason: 'no licence' })).status,
    ).toBe(200);
    expect((await sandbox.control('POST', `${path}/TNG`, { decision: 'APPROVED' })).status).toBe(409);
    const [notified] = await acqp.waitFor(1);
    expect(notified!.body.registrationResult).toEqual({ registrationStatus: 'PROCESSING' });
    expect(
      (await sandbox.control('POST', `${path}/BOOST`, { decision: 'REJECTED', reason: 'risk' })).status,
    ).toBe(200);
    const all = await acqp.waitFor(2);
    expect(all[1]!.body.registrationResult).toEqual({
      registrationStatus: 'FAILED',
      rejectReason: 'every wallet rejected the merchant',
    });
  });

  it('is idempotent on registrationRequestId and strict about its fields', async () => {
    const body = registration('Idempotent Shop HOLD', ['GCASH']);
    expect((await sandbox.call('registration', body)).body.result.resultCode).toBe('SUCCESS');
    expect((await sandbox.call('registration', body)).body.result.resultCode).toBe('SUCCESS');
    const changed = { ...body, pspNames: ['GCASH', 'DANA'] };
    expect((await sandbox.call('registration', changed)).body.result.resultCode).toBe(
      'REPEAT_REQ_INCONSISTENT',
    );

    const unknownWallet = await sandbox.call('registration', registration('X', ['NOPE']));
    expect(unknownWallet.body.result).toMatchObject({ resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' });
    const none = await sandbox.call('registration', registration('X', []));
    expect(none.body.result.resultMessage).toBe('pspNames must name at least one sub-brand');
    const twice = await sandbox.call('registration', registration('X', ['GCASH', 'GCASH']));
    expect(twice.body.result.resultMessage).toBe('pspNames names a sub-brand twice');
    const { registrationNotifyURL: _, ...noUrl } = registration('X', ['GCASH']);
    expect((await sandbox.call('registration', noUrl)).body.result.resultMessage).toBe(
      'registrationNotifyURL is required',
    );
    const unknown = await sandbox.call('inquiryRegistrationStatus', { registrationRequestId: 'REG-NONE' });
    expect(unknown.body.result).toMatchObject({ resultCode: 'REGISTRATION_NOT_EXIST', resultStatus: 'F' });
    const neither = await sandbox.call('inquiryRegistrationStatus', {});
    expect(neither.body.result.resultCode).toBe('PARAM_ILLEGAL');
  });
});
