import type { PaymentRow } from '../../db/database';
import { type Charset, encodeText } from '../../kernel/charset';
import { formatJstCompact } from '../../kernel/jst';
import type { PaymentStatus } from '../../payments/payment-states';
import { ECHOED_FIELDS, RESULT_FIELDS, type ResultField } from './link-fields';
import type { FormPairs } from './link-form';
import { linkHash } from './link-hash';

/**
 * The A02-1 / A03-1 result fields (merchant-link-type.md). Both carry the same fields; they differ
 * only in how the hash is computed: A02-1 over UTF-8 (upper-case hex), A03-1 over the bytes of the
 * service's encoding.
 */
export type LinkResult = 'OK' | 'NG' | 'CN';

/**
 * What a merchant is told of a payment (merchant-link-type.md, res_result and res_err_code): the
 * one mapping behind A02-1 and A03-1. A payment that was captured stays `OK` through its refunds.
 */
export function linkResultOf(status: PaymentStatus): { result: LinkResult; errCode: string } {
  switch (status) {
    case 'CAPTURED':
    case 'PARTIALLY_REFUNDED':
    case 'REFUNDED':
      return { result: 'OK', errCode: '' };
    case 'CANCELED':
      return { result: 'CN', errCode: '6102' };
    case 'EXPIRED':
      return { result: 'CN', errCode: '6103' };
    default:
      return { result: 'NG', errCode: '6101' };
  }
}

export interface ResultContent {
  result: LinkResult;
  errCode: string;
  resDate: Date;
}

/** The charset a result for this payment is encoded in: the service's, with the mapping that verified. */
export function resultCharset(serviceEncoding: string, requestCharset: string): Charset {
  if (serviceEncoding === 'UTF-8') return 'utf-8';
  return requestCharset === 'shift_jis-strict' ? 'shift_jis-strict' : 'windows-31j';
}

export function resultFields(payment: PaymentRow, content: ResultContent): Record<ResultField, string> {
  const echoed = JSON.parse(payment.request_fields) as Record<string, string>;
  const fields = {} as Record<ResultField, string>;
  for (const name of ECHOED_FIELDS) fields[name] = echoed[name] ?? '';
  fields.res_pay_method = 'alipay';
  fields.res_result = content.result;
  fields.res_tracking_id = payment.tracking_id;
  fields.res_sps_cust_no = '';
  fields.res_sps_payment_no = '';
  fields.res_payinfo_key = '';
  fields.res_payment_date =
    content.result === 'OK' && payment.paid_at !== null ? formatJstCompact(new Date(payment.paid_at)) : '';
  fields.res_err_code = content.errCode;
  fields.res_date = formatJstCompact(content.resDate);
  fields.limit_second = echoed.limit_second ?? '';
  return fields;
}

function pairsWithHash(fields: Record<ResultField, string>, hash: string): FormPairs {
  const pairs: FormPairs = RESULT_FIELDS.map((name) => [name, fields[name]]);
  pairs.push(['sps_hashcode', hash]);
  return pairs;
}

/** A02-1: hashed over UTF-8, sent in upper-case hex. */
export function notificationPairs(payment: PaymentRow, content: ResultContent, hashKey: string): FormPairs {
  const fields = resultFields(payment, content);
  const hash = linkHash(
    RESULT_FIELDS.map((name) => fields[name]),
    hashKey,
  ).toUpperCase();
  return pairsWithHash(fields, hash);
}

/** A03-1: hashed over the bytes in the service's encoding (the mapping that verified the request). */
export function browserResultPairs(
  payment: PaymentRow,
  content: ResultContent,
  hashKey: string,
  charset: Charset,
): FormPairs {
  const fields = resultFields(payment, content);
  const hash = linkHash(
    RESULT_FIELDS.map((name) => fields[name]),
    hashKey,
    (text) => encodeText(text, charset) ?? Buffer.from(text, 'utf8'),
  ).toUpperCase();
  return pairsWithHash(fields, hash);
}
