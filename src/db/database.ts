import type { Generated, Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { NotificationStatus } from '../notifications/notification.service';
import type { LatePaymentStatus } from '../payments/late-payment.repository';
import type { CancelTarget, PaymentStatus } from '../payments/payment-states';
import type { RefundStatus } from '../refunds/refund.service';
import type { RollupStatus } from '../reporting/rollup.repository';

/**
 * The gateway's tables. Instants are epoch milliseconds (UTC) in BIGINT columns; amounts are
 * integer yen; flags are 0/1 integers; lists and echoed request fields are JSON text. The same
 * representation works on SQLite and PostgreSQL, so the repositories have one code path.
 */
export interface MerchantTable {
  merchant_id: string;
  name: string;
  display_name: string;
  mcc: string;
  city: string;
  region: string;
  registered_on: string;
  suspended: number;
  created_at: number;
  /** JSON list of the addresses notices are e-mailed to (governance.md, Notices). */
  notice_emails: Generated<string>;
  /** Street address, postcode and corporate number (法人番号) sent at registration; '' when not known. */
  address1: Generated<string>;
  zip_code: Generated<string>;
  registration_number: Generated<string>;
}

export interface ServiceTable {
  merchant_id: string;
  service_id: string;
  display_name: string;
  hash_key: string;
  api_password_digest: string | null;
  encoding: string;
  url_hosts: string;
  active: number;
  maintenance: number;
  created_at: number;
  api_password_is_hash_key: Generated<number>;
}

export interface SystemFlagTable {
  name: string;
  value: string;
}

export interface PaymentTable {
  tracking_id: string;
  token: string;
  transaction_id: string;
  merchant_id: string;
  service_id: string;
  order_id: string;
  status: PaymentStatus;
  amount: number;
  cust_code: string;
  item_id: string;
  item_name: string;
  request_fields: string;
  details: string;
  free_csv: string;
  charset: string;
  terminal_type: 'WEB' | 'WAP';
  os_type: 'IOS' | 'ANDROID' | null;
  user_agent: string;
  client_ip: string;
  received_at: number;
  updated_at: number;
  in_progress_at: number | null;
  deadline_at: number | null;
  payment_request_id: string | null;
  pay_outcome: 'CREATED' | 'UNKNOWN' | null;
  redirect_url: string | null;
  alipay_payment_id: string | null;
  wallet: string | null;
  paid_at: number | null;
  cancel_requested_at: number | null;
  cancel_target: CancelTarget | null;
  result_code: string | null;
  quote_currency_pair: string | null;
  quote_price: string | null;
  acquirer_id: string | null;
  refunded_amount: number;
  refund_reserved_amount: number;
}

export interface PaymentEventTable {
  id: Generated<number>;
  tracking_id: string;
  from_status: PaymentStatus;
  to_status: PaymentStatus;
  cause: string;
  result_code: string | null;
  at: number;
}

export interface AlipayMessageTable {
  id: Generated<number>;
  tracking_id: string;
  api: string;
  request_body: string;
  response_status: number | null;
  response_body: string | null;
  outcome: string;
  at: number;
  duration_ms: number;
}

export interface NotificationTable {
  id: Generated<number>;
  tracking_id: string;
  result: string;
  err_code: string;
  status: NotificationStatus;
  attempts: number;
  created_at: number;
  next_attempt_at: number | null;
  finished_at: number | null;
  last_answer: string | null;
}

export interface NotificationAttemptTable {
  id: Generated<number>;
  notification_id: number;
  at: number;
  http_status: number | null;
  answer: string | null;
  error: string | null;
  duration_ms: number;
}

export interface JobTable {
  id: Generated<number>;
  kind: string;
  dedupe_key: string | null;
  payload: string;
  status: string;
  due_at: number;
  attempts: number;
  locked_until: number | null;
  locked_by: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  /** Jobs of one group (a merchant's A02-1 deliveries) share a concurrency limit. */
  group_key: Generated<string | null>;
}

/**
 * Alipay+ reported money paid for a payment already FAILED: kept, shown to operators, and
 * reversed (cancelled) at Alipay+. `REVERSING` until Alipay+ confirms (`REVERSED`), or
 * `NEEDS_OPERATOR` when it refuses.
 */
export interface LatePaymentTable {
  id: Generated<number>;
  tracking_id: string;
  merchant_id: string;
  status: LatePaymentStatus;
  amount_value: string | null;
  amount_currency: string | null;
  wallet: string | null;
  alipay_payment_id: string | null;
  reported_at: number;
  resolved_at: number | null;
  note: string | null;
}

export interface PaymentErrorTable {
  id: Generated<number>;
  merchant_id: string;
  service_id: string;
  code: string;
  field: string;
  order_id: string;
  user_agent: string;
  client_ip: string;
  authenticated: number;
  at: number;
}

export interface RefundTable {
  refund_id: string;
  tracking_id: string;
  merchant_id: string;
  service_id: string;
  amount: number;
  status: RefundStatus;
  refund_request_id: string;
  replay_key: string | null;
  channel: string;
  requested_by: string;
  result_code: string | null;
  processing_datetime: string | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
}

export interface XmlInquiryHashTable {
  id: Generated<number>;
  merchant_id: string;
  service_id: string;
  hashcode: string;
  expires_at: number;
}

export interface AdminUserTable {
  user_id: string;
  email: string;
  role: string;
  merchant_id: string | null;
  password_hash: string;
  disabled: number;
  created_at: number;
  updated_at: number;
  last_sign_in_at: number | null;
}

export interface AdminSessionTable {
  session_id: string;
  user_id: string;
  csrf_token: string;
  ip: string;
  created_at: number;
  last_seen_at: number;
}

export interface AdminSignInThrottleTable {
  throttle_key: string;
  failures: number;
  window_started_at: number;
  locked_until: number | null;
}

export interface AdminAuditTable {
  id: Generated<number>;
  at: number;
  actor_user_id: string | null;
  actor_email: string;
  merchant_id: string | null;
  action: string;
  target: string;
  detail: string;
  ip: string;
}

export interface PaymentRollupTable {
  merchant_id: string;
  service_id: string;
  day: string;
  sub_brand: string;
  status: RollupStatus;
  count: number;
  amount: number;
}

export interface ServiceFeeTable {
  id: Generated<number>;
  merchant_id: string;
  service_id: string;
  /** `YYYY-MM-DD`, JST: the setting applies to captures from 00:00 JST that day. */
  effective_from: string;
  rate_bps: number;
  fixed_fee: number;
  created_by: string;
  created_at: number;
}

export interface MerchantPayoutTermsTable {
  merchant_id: string;
  cycle: string;
  updated_at: number;
}

export interface LedgerAccountTable {
  account_id: string;
  kind: string;
  merchant_id: string | null;
  created_at: number;
}

export interface LedgerEntryTable {
  entry_id: Generated<number>;
  kind: string;
  source_key: string;
  merchant_id: string | null;
  tracking_id: string | null;
  refund_id: string | null;
  reverses_entry_id: number | null;
  /** `YYYY-MM-DD`, JST. */
  business_date: string;
  memo: string;
  posted_at: number;
}

export interface LedgerLineTable {
  line_id: Generated<number>;
  entry_id: number;
  account_id: string;
  /** Signed yen: debit > 0, credit < 0. */
  amount: number;
}

export interface KycCaseTable {
  case_id: string;
  merchant_id: string;
  reason: string;
  information_requested: string;
  /** `YYYY-MM-DD`, JST. */
  due_date: string;
  /** `OPEN` → `ANSWERED` → `CLEARED` | `SUSPENDED`. */
  status: string;
  answer: string | null;
  answered_by: string | null;
  answered_at: number | null;
  outcome_note: string | null;
  suspended_from: number | null;
  /** Null: suspended until further notice. */
  suspended_until: number | null;
  decided_by: string | null;
  decided_at: number | null;
  opened_by: string;
  opened_at: number;
}

export interface RefundStopTable {
  merchant_id: string;
  reason: string;
  stopped_by: string;
  stopped_at: number;
}

export interface FraudInvestigationTable {
  investigation_id: string;
  merchant_id: string;
  allegation: string;
  requested: string;
  /** `YYYY-MM-DD`, JST. */
  due_date: string;
  /** `OPEN` → `ANSWERED` → `CLOSED`. */
  status: string;
  answer: string | null;
  answered_by: string | null;
  answered_at: number | null;
  outcome: string | null;
  closed_by: string | null;
  closed_at: number | null;
  opened_by: string;
  opened_at: number;
}

export interface FraudInvestigationPaymentTable {
  investigation_id: string;
  tracking_id: string;
}

export interface ProhibitedCategoryTable {
  category: string;
  /** `YYYY-MM-DD`, JST: prohibited from 00:00 JST that day (`effective_at`). */
  effective_from: string;
  effective_at: number;
  note: string;
  added_by: string;
  added_at: number;
}

export interface ServiceCategoryTable {
  merchant_id: string;
  service_id: string;
  category: string;
}

export interface NoticeTable {
  id: Generated<number>;
  kind: string;
  severity: string;
  for_all: number;
  title_ja: string;
  title_en: string;
  body_ja: string;
  body_en: string;
  /** JSON list of `NoticeLink`. */
  links: string;
  dedupe_key: string | null;
  created_at: number;
}

export interface NoticeMerchantTable {
  notice_id: number;
  merchant_id: string;
}

export interface NoticeReadTable {
  notice_id: number;
  user_id: string;
  read_at: number;
}

export interface NoticeEmailTable {
  id: Generated<number>;
  notice_id: number;
  merchant_id: string;
  status: string;
  /** JSON list of addresses, fixed when the notice is posted. */
  recipients: string;
  attempts: Generated<number>;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

export interface MaintenanceWindowTable {
  id: Generated<number>;
  starts_at: number;
  ends_at: number;
  scope: string;
  /** JSON list of "merchantId/serviceId" when the scope is SERVICES. */
  services: string;
  text_ja: string;
  text_en: string;
  emergency: number;
  emergency_reason: string | null;
  announced_at: number;
  announced_by: string;
  cancelled_at: number | null;
}

export interface OutageIncidentTable {
  id: Generated<number>;
  open_slot: string | null;
  status: string;
  opened_at: number;
  opened_detail: string;
  cause_ja: string | null;
  cause_en: string | null;
  cause_at: number | null;
  cause_by: string | null;
  unhealthy_at: number;
  resolved_at: number | null;
}

export interface SettlementReportFileTable {
  file_id: Generated<number>;
  file_name: string;
  kind: string;
  /** The folder it was fetched from (`/v1/settlements/clearing/<participant>/<YYYYMMDD>`). */
  directory: string;
  batch_id: string;
  sha256: string;
  size: number;
  content: string;
  fetched_at: number;
}

export interface SettlementReportLineTable {
  line_id: Generated<number>;
  file_id: number;
  /** The line's number in its file (1 = the summary header). */
  line_no: number;
  batch_id: string;
  transaction_id: string;
  request_id: string;
  transaction_type: string;
  amount: number;
  currency: string;
  tracking_id: string | null;
  refund_id: string | null;
  outcome: string;
}

/** A line of a `feeItems` file and how it matched our expectation (migration 013). */
export interface SettlementFeeLineTable {
  line_id: Generated<number>;
  file_id: number;
  line_no: number;
  batch_id: string;
  transaction_id: string;
  fee_type: string;
  amount: number;
  currency: string;
  tracking_id: string | null;
  /** Our fee for the payment (Alipay+'s contracted rate), when the line names one of ours. */
  expected: number | null;
  outcome: string;
}

export interface SettlementDiscrepancyTable {
  discrepancy_id: Generated<number>;
  kind: string;
  subject: string;
  file_id: number | null;
  tracking_id: string | null;
  refund_id: string | null;
  ours: string | null;
  theirs: string | null;
  detail: string;
  status: string;
  created_at: number;
  resolved_at: number | null;
  resolved_by: string | null;
  resolution_note: string | null;
}

export interface MerchantBankAccountTable {
  merchant_id: string;
  bank_code: string;
  bank_name: string;
  branch_code: string;
  branch_name: string;
  account_type: string;
  account_number: string;
  /** The account holder's name in kana, as the bank has it. */
  holder_name: string;
  updated_at: number;
}

/** Yen amounts; `net` and the carried balances are what the merchant is owed (negative: owes). */
export interface StatementTable {
  statement_id: Generated<number>;
  merchant_id: string;
  period_from: string;
  period_close: string;
  payout_date: string;
  captured: number;
  refunded: number;
  fees: number;
  net: number;
  carried_in: number;
  payout_amount: number;
  carried_out: number;
  issued_at: number;
}

export interface StatementLineTable {
  line_id: Generated<number>;
  statement_id: number;
  entry_id: number;
  kind: string;
  business_date: string;
  tracking_id: string | null;
  refund_id: string | null;
  /** Captured (> 0) or refunded (< 0) amount, the fee charged (> 0) or returned (< 0), and the net. */
  gross: number;
  fee: number;
  amount: number;
}

export interface PayoutTable {
  payout_id: Generated<number>;
  statement_id: number;
  merchant_id: string;
  amount: number;
  payout_date: string;
  status: string;
  zengin_file_id: number | null;
  created_at: number;
  sent_at: number | null;
  paid_at: number | null;
}

export interface ZenginFileTable {
  file_id: Generated<number>;
  transfer_date: string;
  transfers: number;
  total: number;
  content: Buffer;
  created_by: string;
  created_at: number;
}

export interface Database {
  merchants: MerchantTable;
  services: ServiceTable;
  system_flags: SystemFlagTable;
  payments: PaymentTable;
  payment_events: PaymentEventTable;
  alipay_messages: AlipayMessageTable;
  notifications: NotificationTable;
  notification_attempts: NotificationAttemptTable;
  jobs: JobTable;
  payment_errors: PaymentErrorTable;
  refunds: RefundTable;
  xml_inquiry_hashes: XmlInquiryHashTable;
  admin_users: AdminUserTable;
  admin_sessions: AdminSessionTable;
  admin_sign_in_throttle: AdminSignInThrottleTable;
  admin_audit: AdminAuditTable;
  payment_rollups: PaymentRollupTable;
  late_payments: LatePaymentTable;
  service_fees: ServiceFeeTable;
  merchant_payout_terms: MerchantPayoutTermsTable;
  ledger_accounts: LedgerAccountTable;
  ledger_entries: LedgerEntryTable;
  ledger_lines: LedgerLineTable;
  kyc_cases: KycCaseTable;
  refund_stops: RefundStopTable;
  fraud_investigations: FraudInvestigationTable;
  fraud_investigation_payments: FraudInvestigationPaymentTable;
  prohibited_categories: ProhibitedCategoryTable;
  service_categories: ServiceCategoryTable;
  notices: NoticeTable;
  notice_merchants: NoticeMerchantTable;
  notice_reads: NoticeReadTable;
  notice_emails: NoticeEmailTable;
  maintenance_windows: MaintenanceWindowTable;
  outage_incidents: OutageIncidentTable;
  settlement_report_files: SettlementReportFileTable;
  settlement_report_lines: SettlementReportLineTable;
  settlement_fee_lines: SettlementFeeLineTable;
  settlement_discrepancies: SettlementDiscrepancyTable;
  merchant_bank_accounts: MerchantBankAccountTable;
  statements: StatementTable;
  statement_lines: StatementLineTable;
  payouts: PayoutTable;
  zengin_files: ZenginFileTable;
  sub_brand_registrations: SubBrandRegistrationTable;
  merchant_sub_brands: MerchantSubBrandTable;
  merchant_sub_brand_events: MerchantSubBrandEventTable;
}

/** A merchant registration sent to Alipay+ (governance.md §1). */
export interface SubBrandRegistrationTable {
  registration_request_id: string;
  merchant_id: string;
  /** JSON array of the sub-brand codes applied for. */
  sub_brands: string;
  status: 'SENDING' | 'PROCESSING' | 'COMPLETED' | 'FAILED';
  result_code: string | null;
  created_at: number;
  updated_at: number;
  /** When Alipay+ last told us about it (answer, notification or inquiry). */
  last_heard_at: number | null;
}

export type SubBrandStatus = 'APPLIED' | 'PENDING' | 'APPROVED' | 'REJECTED' | 'WITHDRAWN';

export interface MerchantSubBrandTable {
  merchant_id: string;
  sub_brand: string;
  status: SubBrandStatus;
  reason: string | null;
  registration_request_id: string | null;
  updated_at: number;
}

export interface MerchantSubBrandEventTable {
  id: Generated<number>;
  merchant_id: string;
  sub_brand: string;
  status: SubBrandStatus;
  reason: string | null;
  registration_request_id: string | null;
  actor: string;
  at: number;
}

/** A connection or an open transaction: repositories accept either. */
export type Db = Kysely<Database> | Transaction<Database>;

/**
 * Runs `fn` in the caller's open transaction, or in a new one when given a connection: a change
 * that must commit together with the caller's own writes (the console's audit row) is passed the
 * caller's transaction.
 */
export function inTransaction<T>(db: Db, fn: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Transaction<Database>) : db.transaction().execute(fn);
}

export type PaymentRow = Selectable<PaymentTable>;
export type NewPayment = Insertable<PaymentTable>;
export type ServiceRow = Selectable<ServiceTable>;
export type MerchantRow = Selectable<MerchantTable>;
export type JobRow = Selectable<JobTable>;
export type NotificationRow = Selectable<NotificationTable>;
export type RefundRow = Selectable<RefundTable>;
export type AdminUserRow = Selectable<AdminUserTable>;
export type AdminSessionRow = Selectable<AdminSessionTable>;
