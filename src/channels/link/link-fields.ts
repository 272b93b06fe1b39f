/**
 * The Link Type field lists, in protocol order — which is also hash order
 * (merchant-link-type.md, A01-1 and A02-1).
 */

/** A01-1 fields before the detail rows. */
export const PURCHASE_HEAD_FIELDS = [
  'pay_method',
  'merchant_id',
  'service_id',
  'cust_code',
  'sps_cust_no',
  'sps_payment_no',
  'order_id',
  'item_id',
  'pay_item_id',
  'item_name',
  'tax',
  'amount',
  'pay_type',
  'auto_charge_type',
  'service_type',
  'div_settele',
  'last_charge_month',
  'camp_type',
  'tracking_id',
  'terminal_type',
  'success_url',
  'cancel_url',
  'error_url',
  'pagecon_url',
  'free1',
  'free2',
  'free3',
  'free_csv',
] as const;

/** One detail row's fields, repeated per row after `free_csv`. */
export const DETAIL_FIELDS = [
  'dtl_rowno',
  'dtl_item_id',
  'dtl_item_name',
  'dtl_item_count',
  'dtl_tax',
  'dtl_amount',
  'dtl_free1',
  'dtl_free2',
  'dtl_free3',
] as const;

/** A01-1 fields after the detail rows (before `sps_hashcode`). */
export const PURCHASE_TAIL_FIELDS = ['request_date', 'limit_second'] as const;

/** A01-1 fields that A02-1/A03-1 do not echo. */
const NOT_ECHOED = ['success_url', 'cancel_url', 'error_url', 'pagecon_url', 'free_csv'] as const;
type EchoedHeadField = Exclude<(typeof PURCHASE_HEAD_FIELDS)[number], (typeof NOT_ECHOED)[number]>;

/** The A01-1 fields echoed first in A02-1/A03-1 (the request as received), in order. */
export const ECHOED_FIELDS = [
  ...PURCHASE_HEAD_FIELDS.filter((f): f is EchoedHeadField => !(NOT_ECHOED as readonly string[]).includes(f)),
  'request_date',
] as const;

/** A02-1/A03-1 fields in hash order (without `sps_hashcode`). */
export const RESULT_FIELDS = [
  ...ECHOED_FIELDS,
  'res_pay_method',
  'res_result',
  'res_tracking_id',
  'res_sps_cust_no',
  'res_sps_payment_no',
  'res_payinfo_key',
  'res_payment_date',
  'res_err_code',
  'res_date',
  'limit_second',
] as const;

export type PurchaseHeadField = (typeof PURCHASE_HEAD_FIELDS)[number];
export type DetailField = (typeof DETAIL_FIELDS)[number];
export type ResultField = (typeof RESULT_FIELDS)[number];
