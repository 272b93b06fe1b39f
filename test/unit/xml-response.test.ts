import { describe, expect, it } from 'vitest';
import { readXmlApiResponse } from '../../src/channels/xml-api/xml-client';
import { errorResponse, inquiryResponse, refundResponse } from '../../src/channels/xml-api/xml-response';
import type { PaymentRow } from '../../src/db/database';
import { yen } from '../../src/kernel/money';
import type { PaymentStatus } from '../../src/payments/payment-states';
import type { RefundOutcome, RefundView } from '../../src/refunds/refund.service';

// 2026-11-27 10:30:01 JST.
const NOW = new Date('2026-11-27T01:30:01Z');
const ACCEPTED = new Date('2026-11-27T01:30:00Z');

const refund = (status: RefundView['status'], amount = 500): RefundView => ({
  refundId: 'R'.repeat(32),
  trackingId: '12345678901234',
  amount: yen(amount),
  status,
  resultCode: status === 'FAILED' ? 'REFUND_NOT_ALLOWED' : null,
  channel: 'XML_API',
  requestedBy: 'xml-api:30000001',
  createdAt: ACCEPTED,
  completedAt: status === 'PROCESSING' ? null : NOW,
});

const outcome = (status: RefundView['status']): RefundOutcome => ({
  refund: refund(status),
  replayed: false,
  totals: { captured: yen(1500), refunded: yen(200), reserved: yen(500), remaining: yen(800) },
});

/** Element names in document order. */
const tags = (bytes: Buffer) => [...bytes.toString('latin1').matchAll(/<([a-z_]+)[ />]/g)].map((m) => m[1]);

describe('ST02-00306-510 responses', () => {
  it('answers in Shift_JIS with the fields in the order of the spec', () => {
    const body = refundResponse(outcome('SUCCEEDED'), NOW);
    expect(body.toString('latin1')).toMatch(
      /^<\?xml version="1\.0" encoding="Shift_JIS"\?>\n<sps-api-response id="ST02-00306-510">/,
    );
    expect(tags(body)).toEqual([
      'res_result',
      'res_sps_transaction_id',
      'res_process_date',
      'res_pay_method_info',
      'refund_amount',
      'refunded_total',
      'remaining_amount',
      'res_err_code',
      'res_date',
    ]);
    expect(body.toString('latin1')).toContain('<res_err_code/>');
    expect(readXmlApiResponse(body).fields).toEqual({
      res_result: 'OK',
      res_sps_transaction_id: 'R'.repeat(32),
      res_process_date: '20261127103000',
      'res_pay_method_info/refund_amount': '500',
      'res_pay_method_info/refunded_total': '700',
      'res_pay_method_info/remaining_amount': '800',
      res_err_code: '',
      res_date: '20261127103001',
    });
  });

  it('answers AC while the refund is pending and NG 510K2999 when Alipay+ refused it', () => {
    expect(readXmlApiResponse(refundResponse(outcome('PROCESSING'), NOW)).fields).toMatchObject({
      res_result: 'AC',
      res_err_code: '',
    });
    expect(readXmlApiResponse(refundResponse(outcome('FAILED'), NOW)).fields).toMatchObject({
      res_result: 'NG',
      res_sps_transaction_id: 'R'.repeat(32),
      res_err_code: '510K2999',
    });
  });

  it('answers NG with res_result, res_err_code and res_date, the id only for a known function', () => {
    const known = errorResponse('ST02-00306-510', '51009025', NOW, 'r1');
    expect(tags(known)).toEqual(['res_result', 'res_err_code', 'res_date']);
    expect(readXmlApiResponse(known)).toMatchObject({
      id: 'ST02-00306-510',
      fields: { res_result: 'NG', res_err_code: '51009025', res_date: '20261127103001' },
    });
    expect(readXmlApiResponse(errorResponse(null, '99902000', NOW, 'r2')).id).toBeNull();
  });
});

describe('MG01-00101-510 responses', () => {
  const payment = {
    tracking_id: '12345678901234',
    transaction_id: 'T'.repeat(32),
    order_id: 'ORDER-<1>&2',
    amount: 1500,
    status: 'PARTIALLY_REFUNDED',
    refunded_amount: 200,
    paid_at: ACCEPTED.getTime(),
    wallet: 'GCASH',
  } as PaymentRow;

  it('lists the purchase and its refunds in the order of the spec', () => {
    const body = inquiryResponse(payment, [refund('SUCCEEDED', 200), refund('PROCESSING')], NOW);
    expect(tags(body)).toEqual([
      'res_result',
      'res_sps_transaction_id',
      'res_status',
      'res_pay_method_info',
      'order_id',
      'amount',
      'payment_status',
      'refunded_amount',
      'payment_date',
      'wallet',
      'refunds',
      'refund',
      'res_sps_transaction_id',
      'amount',
      'status',
      'process_date',
      'refund',
      'res_sps_transaction_id',
      'amount',
      'status',
      'process_date',
      'res_process_date',
      'res_err_code',
      'res_date',
    ]);
    const read = readXmlApiResponse(body);
    expect(read.fields).toMatchObject({
      res_result: 'OK',
      res_sps_transaction_id: 'T'.repeat(32),
      res_status: '0',
      'res_pay_method_info/order_id': 'ORDER-<1>&2',
      'res_pay_method_info/amount': '1500',
      'res_pay_method_info/payment_status': '5',
      'res_pay_method_info/refunded_amount': '200',
      'res_pay_method_info/payment_date': '20261127103000',
      'res_pay_method_info/wallet': 'GCASH',
      res_err_code: '',
    });
    expect(read.refunds).toEqual([
      {
        res_sps_transaction_id: 'R'.repeat(32),
        amount: '200',
        status: 'SUCCEEDED',
        process_date: '20261127103001',
      },
      {
        res_sps_transaction_id: 'R'.repeat(32),
        amount: '500',
        status: 'PROCESSING',
        process_date: '20261127103000',
      },
    ]);
  });

  it.each<[PaymentStatus, string]>([
    ['REQUESTED', '0'],
    ['IN_PROGRESS', '1'],
    ['CAPTURED', '2'],
    ['CANCELED', '3'],
    ['REFUNDED', '4'],
    ['PARTIALLY_REFUNDED', '5'],
    ['EXPIRED', '6'],
    ['FAILED', '9'],
  ])('codes payment_status %s as %s', (status, code) => {
    const read = readXmlApiResponse(inquiryResponse({ ...payment, status }, [], NOW));
    expect(read.fields['res_pay_method_info/payment_status']).toBe(code);
  });

  it('leaves payment date and wallet empty for an unpaid payment, and the refund list empty', () => {
    const body = inquiryResponse({ ...payment, status: 'EXPIRED', paid_at: null, wallet: null }, [], NOW);
    expect(body.toString('latin1')).toContain('<payment_date/>');
    expect(body.toString('latin1')).toContain('<wallet/>');
    expect(body.toString('latin1')).toContain('<refunds/>');
  });
});
