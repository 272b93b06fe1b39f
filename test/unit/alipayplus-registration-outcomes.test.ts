import { describe, expect, it } from 'vitest';
import {
  mapRegistration,
  mapRegistrationInquiry,
  readRegistrationReport,
} from '../../src/alipayplus/outcomes';

const S = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' };

describe('registration outcomes (governance.md §1)', () => {
  it('maps the registration answer: S accepted, F refused with its code, anything else unknown', () => {
    expect(mapRegistration({ result: S })).toEqual({ type: 'accepted' });
    expect(mapRegistration({ result: { resultCode: 'PARAM_ILLEGAL', resultStatus: 'F' } })).toEqual({
      type: 'failed',
      code: 'PARAM_ILLEGAL',
    });
    expect(mapRegistration({ result: { resultCode: 'UNKNOWN_EXCEPTION', resultStatus: 'U' } })).toEqual({
      type: 'unknown',
    });
    expect(mapRegistration(undefined)).toEqual({ type: 'unknown' });
    expect(mapRegistration({ result: { resultStatus: 'S' } })).toEqual({ type: 'unknown' });
  });

  it('re-sends a registration refused for our credentials: no wallet looked at it', () => {
    for (const resultCode of ['INVALID_CLIENT', 'INVALID_SIGNATURE', 'KEY_NOT_FOUND']) {
      expect(mapRegistration({ result: { resultCode, resultStatus: 'F' } })).toEqual({ type: 'unknown' });
    }
  });

  it('reads a report tolerantly, leaving out entries it cannot place', () => {
    const report = readRegistrationReport({
      referenceMerchantId: 30000,
      registrationRequestId: 'REG1',
      registrationResult: { registrationStatus: 'PROCESSING' },
      pspRegistrationResultList: [
        { pspName: 'GCASH', registrationResult: { registrationStatus: 'APPROVED' } },
        { pspName: 'DANA', registrationResult: { registrationStatus: 'REJECTED', rejectReason: 'risk' } },
        { pspName: 'NOT_A_WALLET', registrationResult: { registrationStatus: 'APPROVED' } },
        { pspName: 'TNG', registrationResult: { registrationStatus: 'MAYBE' } },
        'garbage',
      ],
      extra: 'ignored',
    });
    expect(report).toEqual({
      registrationRequestId: 'REG1',
      merchantId: '30000',
      status: 'PROCESSING',
      reason: null,
      psps: [
        { subBrand: 'GCASH', status: 'APPROVED', reason: null },
        { subBrand: 'DANA', status: 'REJECTED', reason: 'risk' },
      ],
    });
  });

  it('reads nothing without the ids or a known overall status, nor from an inquiry not answered S', () => {
    const base = { referenceMerchantId: 'M', registrationRequestId: 'R' };
    expect(readRegistrationReport(base)).toBeUndefined();
    expect(
      readRegistrationReport({ ...base, registrationResult: { registrationStatus: 'DONE' } }),
    ).toBeUndefined();
    expect(
      readRegistrationReport({
        registrationRequestId: 'R',
        registrationResult: { registrationStatus: 'FAILED' },
      }),
    ).toBeUndefined();
    const completed = { ...base, registrationResult: { registrationStatus: 'COMPLETED' } };
    expect(mapRegistrationInquiry({ result: S, ...completed })?.status).toBe('COMPLETED');
    expect(
      mapRegistrationInquiry({
        result: { resultCode: 'REGISTRATION_NOT_EXIST', resultStatus: 'F' },
        ...completed,
      }),
    ).toBeUndefined();
    expect(mapRegistrationInquiry(undefined)).toBeUndefined();
  });
});
