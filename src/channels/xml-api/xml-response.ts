import type { PaymentRow } from '../../db/database';
import { formatJstCompact } from '../../kernel/jst';
import type { PaymentStatus } from '../../payments/payment-states';
import type { RefundOutcome, RefundView } from '../../refunds/refund.service';
import { PROVIDER_REFUSED } from './xml-codes';
import { INQUIRY_FUNCTION, REFUND_FUNCTION, type XmlFunctionId } from './xml-request';
import { renderXml, type XmlNode } from './xml-writer';

/**
 * XML API responses (merchant-xml-api.md): always Shift_JIS with a matching declaration, fields in
 * the spec's order, an empty value written `<x/>`. Responses carry no hash.
 */
export const RESPONSE_CONTENT_TYPE = 'text/xml; charset=Shift_JIS';

/** `payment_status` of MG01-00101-510 (ours). */
const PAYMENT_STATUS_CODES: Record<PaymentStatus, string> = {
  REQUESTED: '0',
  IN_PROGRESS: '1',
  CAPTURED: '2',
  CANCELED: '3',
  REFUNDED: '4',
  PARTIALLY_REFUNDED: '5',
  EXPIRED: '6',
  FAILED: '9',
};

const RESPONSE_ROOT = 'sps-api-response';

/** The response document; the `id` attribute only for a function id the gateway implements. */
function renderResponse(
  functionId: XmlFunctionId | null,
  nodes: readonly XmlNode[],
  comment?: string,
): Buffer {
  return renderXml(RESPONSE_ROOT, functionId, nodes, 'windows-31j', comment);
}

const jst = (instant: Date | null) => (instant ? formatJstCompact(instant) : '');

/**
 * An NG answer: at least `res_result`, `res_err_code` and `res_date`, with the request id in a
 * comment (also in the `X-Request-Id` header) so that a merchant's support mail can be traced in
 * our logs.
 */
export function errorResponse(
  functionId: XmlFunctionId | null,
  code: string,
  now: Date,
  requestId: string,
): Buffer {
  return renderResponse(
    functionId,
    [
      ['res_result', 'NG'],
      ['res_err_code', code],
      ['res_date', jst(now)],
    ],
    `request id ${requestId}`,
  );
}

/** ST02-00306-510: the refund's current state — OK succeeded, AC pending, NG refused by Alipay+. */
export function refundResponse(outcome: RefundOutcome, now: Date): Buffer {
  const { refund, totals } = outcome;
  const [result, errCode] =
    refund.status === 'SUCCEEDED'
      ? ['OK', '']
      : refund.status === 'PROCESSING'
        ? ['AC', '']
        : ['NG', PROVIDER_REFUSED];
  return renderResponse(REFUND_FUNCTION, [
    ['res_result', result],
    ['res_sps_transaction_id', refund.refundId],
    // The day the refund was accepted: the same in every replay of it.
    ['res_process_date', jst(refund.createdAt)],
    [
      'res_pay_method_info',
      [
        ['refund_amount', String(refund.amount)],
        // refunded_total counts pending refunds too: their amounts are reserved.
        ['refunded_total', String(totals.refunded + totals.reserved)],
        ['remaining_amount', String(totals.remaining)],
      ],
    ],
    ['res_err_code', errCode],
    ['res_date', jst(now)],
  ]);
}

/** MG01-00101-510: the purchase and its refunds. */
export function inquiryResponse(payment: PaymentRow, refunds: readonly RefundView[], now: Date): Buffer {
  return renderResponse(INQUIRY_FUNCTION, [
    ['res_result', 'OK'],
    ['res_sps_transaction_id', payment.transaction_id],
    ['res_status', '0'],
    [
      'res_pay_method_info',
      [
        ['order_id', payment.order_id],
        ['amount', String(payment.amount)],
        ['payment_status', PAYMENT_STATUS_CODES[payment.status]],
        // Succeeded refunds only; pending ones show in the list with status PROCESSING.
        ['refunded_amount', String(payment.refunded_amount)],
        ['payment_date', jst(payment.paid_at === null ? null : new Date(payment.paid_at))],
        ['wallet', payment.wallet ?? ''],
        [
          'refunds',
          refunds.map(
            (refund): XmlNode => [
              'refund',
              [
                ['res_sps_transaction_id', refund.refundId],
                ['amount', String(refund.amount)],
                ['status', refund.status],
                // When it became final; while PROCESSING, when it was accepted.
                ['process_date', jst(refund.completedAt ?? refund.createdAt)],
              ],
            ],
          ),
        ],
      ],
    ],
    ['res_process_date', jst(now)],
    ['res_err_code', ''],
    ['res_date', jst(now)],
  ]);
}
