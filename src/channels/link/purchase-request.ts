import { type Charset, decodeText, firstUnencodable, hasStrictDifferences } from '../../kernel/charset';
import { asciiTrim, hexDigestsEqual } from '../../kernel/hashing';
import { parseJstCompact } from '../../kernel/jst';
import { isPurchaseAmount, parseYenDigits, type Yen } from '../../kernel/money';
import { isRegisteredHost } from '../../merchants/url-hosts';
import { callbackTarget, type Resolver } from '../../notifications/merchant-endpoint';
import { classifyUserAgent, type OsType } from './device';
import { formCharset, parseFormBytes, type RawFormPairs } from './form-body';
import {
  DETAIL_FIELDS,
  type DetailField,
  PURCHASE_HEAD_FIELDS,
  PURCHASE_TAIL_FIELDS,
  type PurchaseHeadField,
} from './link-fields';
import { linkHash } from './link-hash';

/**
 * A01-1 purchase request: reading the form and the checks, in the spec's order — the first failure
 * decides the code (merchant-link-type.md, A01-1). Pure apart from the look-ups in `deps`; it
 * creates nothing, so a refused request leaves no payment behind.
 */

interface LinkErrorInfo {
  /** The HTTP status of the gateway's error page. */
  httpStatus: number;
  ja: string;
  en: string;
}

/** The Link Type error codes (merchant-link-type.md, Errors) with their page texts and HTTP status. */
export const LINK_ERROR_CODES = {
  '1101': {
    httpStatus: 500,
    ja: 'システムエラーが発生しました。',
    en: 'A system error occurred in the payment gateway.',
  },
  '1102': {
    httpStatus: 429,
    ja: 'このアドレスからの拒否されたリクエストが多すぎます。しばらくしてからお試しください。',
    en: 'Too many refused requests from this address. Please try again later.',
  },
  '4301': { httpStatus: 504, ja: 'Alipay+ から応答がありません。', en: 'No answer from Alipay+.' },
  '5101': { httpStatus: 400, ja: '必須項目が指定されていません。', en: 'A required field is missing.' },
  '5102': { httpStatus: 400, ja: '項目の桁数が上限を超えています。', en: 'A field is too long.' },
  '5103': {
    httpStatus: 400,
    ja: '項目の形式が正しくないか、リクエストを読み取れません。',
    en: 'A field has an invalid format, or the request could not be read.',
  },
  '5104': {
    httpStatus: 400,
    ja: 'Alipay+ では指定できない値です。',
    en: 'A value is not allowed for Alipay+.',
  },
  '5105': {
    httpStatus: 403,
    ja: 'ハッシュコード（sps_hashcode）が一致しません。',
    en: 'The request hash (sps_hashcode) does not match.',
  },
  '5106': {
    httpStatus: 403,
    ja: 'リクエストの許容時間を超えています。',
    en: 'The request is outside its allowed time (request_date, limit_second).',
  },
  '5107': {
    httpStatus: 409,
    ja: 'この購入 ID（order_id）は既に使用されています。',
    en: 'This order ID (order_id) has already been used.',
  },
  '5108': {
    httpStatus: 404,
    ja: 'マーチャント ID またはサービス ID が無効です。',
    en: 'Unknown or inactive merchant ID or service ID.',
  },
  '5109': {
    httpStatus: 400,
    ja: '指定された決済方法はご利用いただけません。',
    en: 'None of the requested payment methods is available.',
  },
  '5110': {
    httpStatus: 403,
    ja: 'ご利用の端末には対応していません（携帯電話ではご利用いただけません）。',
    en: 'This device is not supported (feature phones cannot be used).',
  },
  '5111': {
    httpStatus: 403,
    ja: 'この加盟店では現在 Alipay+ をご利用いただけません。',
    en: 'Alipay+ is currently not available for this merchant.',
  },
  '5112': { httpStatus: 503, ja: 'ただいまメンテナンス中です。', en: 'The service is under maintenance.' },
  '5113': {
    httpStatus: 403,
    ja: 'URL のスキームが http(s) でないか、ホストが登録されていません。',
    en: 'A URL is not http(s), or its host is not registered for the service.',
  },
} as const satisfies Record<string, LinkErrorInfo>;

export type LinkErrorCode = keyof typeof LINK_ERROR_CODES;

/** The most a purchase-request body may hold (merchant-link-type.md, Checks 1). */
export const MAX_PURCHASE_BODY_BYTES = 64 * 1024;

/** `limit_second` when the request leaves it empty, and how far ahead `request_date` may be. */
const DEFAULT_LIMIT_SECOND = 600;
const MAX_FUTURE_MS = 600_000;

export type PurchaseField = PurchaseHeadField | (typeof PURCHASE_TAIL_FIELDS)[number];

export interface ServiceForCheck {
  merchantId: string;
  serviceId: string;
  hashKey: string;
  encoding: 'Shift_JIS' | 'UTF-8';
  /** Registered URL hosts (see url-hosts.ts for the entry forms). */
  urlHosts: string[];
  active: boolean;
  maintenance: boolean;
  merchantSuspended: boolean;
  merchantDisplayName: string;
}

/** `S`: the service as the caller reads it, handed back with an accepted request. */
export interface PurchaseCheckDeps<S extends ServiceForCheck = ServiceForCheck> {
  now: Date;
  mode: 'demo' | 'production';
  /** Name resolution for the `pagecon_url` check (the system resolver unless a test stands in). */
  resolve?: Resolver;
  /** The service with its merchant's state, or `null` when there is no such service. */
  findService(merchantId: string, serviceId: string): Promise<S | null>;
  /** A maintenance window in progress for the service (governance/availability.ts), or null. */
  maintenanceFor(merchantId: string, serviceId: string): Promise<{ endsAt: Date | null } | null>;
  /** Whether governance stops new purchases now: no approved sub-brand, a KYC suspension, a prohibited category (governance/availability.ts). */
  isPurchaseBlocked(service: S): Promise<boolean>;
  /** The payment already made with this order id, or `null` when the order id is unused. */
  findOrder(merchantId: string, serviceId: string, orderId: string): Promise<ExistingOrder | null>;
}

/** A payment already made for an order id, as check 10 compares it. */
export interface ExistingOrder {
  token: string;
  status: string;
  /** The fields it was requested with, as stored (without `sps_hashcode`). */
  fields: Record<string, string>;
  details: Array<Record<string, string>>;
}

/**
 * The statuses in which a shopper can still act on a payment (the selection screen, or waiting
 * for Alipay+): a browser that re-posts the same A01-1 then is sent back to it.
 */
const OPEN_STATUSES: readonly string[] = ['REQUESTED', 'IN_PROGRESS'];

/**
 * The existing payment's token when a request is that payment's own — every field and detail row
 * identical, so the same hash — and it is still open: a shopper's browser re-posting A01-1 (after a
 * crash, or a double submit) resumes it rather than meeting 5107. A final payment is not resumed;
 * its results were sent, and the order id stays used.
 */
export function resumableToken(
  existing: ExistingOrder | null,
  fields: Record<string, string>,
  details: ReadonlyArray<Record<string, string>>,
): string | null {
  if (existing === null || !OPEN_STATUSES.includes(existing.status)) return null;
  const names = [...PURCHASE_HEAD_FIELDS, ...PURCHASE_TAIL_FIELDS];
  if (names.some((name) => (existing.fields[name] ?? '') !== fields[name])) return null;
  if (existing.details.length !== details.length) return null;
  const sameRows = details.every((row, i) =>
    DETAIL_FIELDS.every((name) => (existing.details[i]?.[name] ?? '') === row[name]),
  );
  return sameRows ? existing.token : null;
}

export interface PurchaseRequest {
  /**
   * Every field as received: decoded, ASCII-trimmed (the values the hash covers), absent = ''.
   * These are what A02-1/A03-1 echo.
   */
  fields: Record<PurchaseField, string>;
  details: Array<Record<DetailField, string>>;
  /** The mapping that verified the hash; keep it with the payment for its A02-1/A03-1. */
  charset: Charset;
  amount: Yen;
  /** `pay_method` exactly `alipay`: straight to Alipay+ rather than the method-selection screen. */
  directToAlipay: boolean;
  device: 'PC' | 'SMARTPHONE';
  osType: OsType | null;
  limitSecond: number;
}

/** What is known of a refused request, for the payment-error log (ASCII or empty). */
export interface PartialRequest {
  merchantId: string;
  serviceId: string;
  orderId: string;
}

export type PurchaseCheck<S extends ServiceForCheck = ServiceForCheck> =
  | { ok: true; request: PurchaseRequest; service: S }
  | {
      ok: false;
      code: LinkErrorCode;
      field: string | null;
      httpStatus: number;
      /** The hash verified before the refusal (check 4 passed): the merchant really sent it. */
      authenticated: boolean;
      partial: PartialRequest;
      /** On a 5107: the existing payment this very request made, still open (see `resumableToken`). */
      resumeToken?: string;
      /** On a 5112: when the maintenance window ends (shown in JST), if it has an end. */
      maintenanceEndsAt?: Date;
    };

export interface PurchaseInput {
  body: Buffer;
  contentType: string | undefined;
  userAgent: string;
  clientIp: string;
}

// ---- field rules (merchant-link-type.md, Fields) ----

interface FieldRule {
  required?: boolean;
  /** Longest value in characters (X fields are ASCII, so characters = bytes); none when the format fixes it. */
  max?: number;
  /** The format of a non-empty value. */
  valid(value: string): boolean;
  /** Free text (M): refused when a Shift_JIS service cannot carry it. */
  text?: boolean;
}

const isX = (v: string): boolean => /^[\x20-\x7e]*$/.test(v);
// Control characters, and the bidirectional overrides that would let a value disguise itself on a page.
const isM = (v: string): boolean => !/[\p{Cc}\u202a-\u202e\u2066-\u2069]/u.test(v);
const isDigits = (v: string): boolean => /^[0-9]+$/.test(v);
/**
 * The hash joins the values without a separator (merchant-link-type.md, Hash), so digits can move
 * between neighbouring fields without changing it. A yen figure has one spelling — no leading
 * zeros — so a shift cannot hide in a padded amount; merchants still check `amount` in A02-1.
 */
const isYenDigits = (v: string): boolean => /^(0|[1-9][0-9]*)$/.test(v);

const x = (max: number, required = false): FieldRule => ({ max, required, valid: isX });
const m = (max: number): FieldRule => ({ max, valid: isM, text: true });
const digits = (max: number): FieldRule => ({ max, valid: isDigits });
const url: FieldRule = { required: true, max: 500, valid: (v) => isX(v) && URL.canParse(v) };

/**
 * `null`: a field that must be empty for Alipay+, checked with the value rules (5104), not here.
 * `pay_method` is given room for a long comma list of methods (the spec sets no length).
 */
const HEAD_RULES: Record<PurchaseField | 'sps_hashcode', FieldRule | null> = {
  pay_method: x(1000),
  merchant_id: { required: true, max: 5, valid: (v) => /^[0-9]{5}$/.test(v) },
  service_id: { required: true, max: 3, valid: (v) => /^[0-9]{3}$/.test(v) },
  cust_code: x(64, true),
  sps_cust_no: null,
  sps_payment_no: null,
  order_id: x(38, true),
  item_id: x(32, true),
  pay_item_id: x(32),
  item_name: m(40),
  tax: { max: 7, valid: isYenDigits },
  amount: { required: true, max: 7, valid: (v) => isYenDigits(v) && isPurchaseAmount(Number(v)) },
  pay_type: digits(1),
  auto_charge_type: null,
  service_type: digits(1),
  div_settele: null,
  last_charge_month: null,
  camp_type: null,
  tracking_id: null,
  terminal_type: { valid: (v) => /^[012]$/.test(v) },
  success_url: url,
  cancel_url: url,
  error_url: url,
  pagecon_url: url,
  free1: m(20),
  free2: m(20),
  free3: m(20),
  free_csv: x(2000),
  request_date: { required: true, max: 14, valid: (v) => parseJstCompact(v) !== null },
  limit_second: digits(4),
  sps_hashcode: { required: true, max: 40, valid: (v) => /^[0-9a-fA-F]{40}$/.test(v) },
};

/**
 * Detail rows are optional and the spec gives no lengths; ours follow the head fields they mirror:
 * row number ≤ 3 digits, item id X ≤ 32, item name M ≤ 40, count ≤ 6 digits, tax and amount ≤ 7
 * digits (no sign: discounts belong in the total), free fields M ≤ 20.
 */
const DETAIL_RULES: Record<DetailField, FieldRule> = {
  dtl_rowno: digits(3),
  dtl_item_id: x(32),
  dtl_item_name: m(40),
  dtl_item_count: digits(6),
  dtl_tax: digits(7),
  dtl_amount: digits(7),
  dtl_free1: m(20),
  dtl_free2: m(20),
  dtl_free3: m(20),
};

/** Check 6: the values Alipay+ allows (5104), in protocol order. */
const ALLOWED_VALUES: Partial<Record<PurchaseHeadField, string>> = {
  sps_cust_no: '',
  sps_payment_no: '',
  pay_type: '0',
  auto_charge_type: '',
  service_type: '0',
  div_settele: '',
  last_charge_month: '',
  camp_type: '',
  tracking_id: '',
};

const URL_FIELDS = ['success_url', 'cancel_url', 'error_url', 'pagecon_url'] as const;

// ---- reading the form ----

const SINGLE_FIELDS = [...PURCHASE_HEAD_FIELDS, ...PURCHASE_TAIL_FIELDS, 'sps_hashcode'] as const;
type SingleField = (typeof SINGLE_FIELDS)[number];
const SINGLE_FIELD_SET = new Set<string>(SINGLE_FIELDS);
const DETAIL_INDEX = new Map<string, number>(DETAIL_FIELDS.map((name, i) => [name, i]));

interface RawForm {
  single: Map<string, Uint8Array>;
  details: Array<Map<string, Uint8Array>>;
  charsetField: Uint8Array | undefined;
  /** The first protocol field (other than the detail fields) sent twice. */
  repeated: string | null;
}

/**
 * Sorts the pairs into fields. Detail rows are runs of `dtl_*` fields in protocol order: a field
 * that does not come after the previous one starts a new row, so rows whose empty fields a client
 * left out still line up.
 */
function sortFields(pairs: RawFormPairs): RawForm {
  const form: RawForm = { single: new Map(), details: [], charsetField: undefined, repeated: null };
  let row: Map<string, Uint8Array> | undefined;
  let lastDetailIndex = -1;
  for (const [name, value] of pairs) {
    const detailIndex = DETAIL_INDEX.get(name);
    if (detailIndex !== undefined) {
      if (row === undefined || detailIndex <= lastDetailIndex) {
        row = new Map();
        form.details.push(row);
      }
      row.set(name, value);
      lastDetailIndex = detailIndex;
    } else if (SINGLE_FIELD_SET.has(name)) {
      if (form.single.has(name)) form.repeated ??= name;
      else form.single.set(name, value);
    } else if (name === '_charset_') {
      form.charsetField ??= value;
    }
  }
  return form;
}

interface DecodedForm {
  fields: Record<SingleField, string>;
  details: Array<Record<DetailField, string>>;
}

function decodeValue(bytes: Uint8Array | undefined, charset: Charset): string | null {
  if (bytes === undefined) return '';
  const text = decodeText(bytes, charset);
  return text === null ? null : asciiTrim(text);
}

/** Decodes every protocol field (absent = ''); the name of the first undecodable one otherwise. */
function decodeForm(form: RawForm, charset: Charset): DecodedForm | { undecodable: string } {
  const fields = {} as Record<SingleField, string>;
  for (const name of SINGLE_FIELDS) {
    const value = decodeValue(form.single.get(name), charset);
    if (value === null) return { undecodable: name };
    fields[name] = value;
  }
  const details: Array<Record<DetailField, string>> = [];
  for (const raw of form.details) {
    const row = {} as Record<DetailField, string>;
    for (const name of DETAIL_FIELDS) {
      const value = decodeValue(raw.get(name), charset);
      if (value === null) return { undecodable: name };
      row[name] = value;
    }
    details.push(row);
  }
  return { fields, details };
}

/** The values in hash order: head fields, detail rows in place, then the tail fields. */
function hashValues(form: DecodedForm): string[] {
  const values: string[] = PURCHASE_HEAD_FIELDS.map((name) => form.fields[name]);
  for (const row of form.details) for (const name of DETAIL_FIELDS) values.push(row[name]);
  for (const name of PURCHASE_TAIL_FIELDS) values.push(form.fields[name]);
  return values;
}

function holdsStrictDifferences(form: RawForm): boolean {
  for (const value of form.single.values()) if (hasStrictDifferences(value)) return true;
  for (const row of form.details)
    for (const value of row.values()) if (hasStrictDifferences(value)) return true;
  return false;
}

/** An ASCII field readable before the charset is known (ids are digits, order ids are X). */
function asciiField(form: RawForm | null, name: string): string {
  const bytes = form?.single.get(name);
  if (bytes === undefined) return '';
  const text = asciiTrim(Buffer.from(bytes).toString('latin1'));
  return isX(text) ? text : '';
}

interface FieldCheck {
  name: string;
  value: string;
  rule: FieldRule;
}

function fieldChecks(form: DecodedForm): FieldCheck[] {
  const checks: FieldCheck[] = [];
  const single = (name: SingleField): void => {
    const rule = HEAD_RULES[name];
    if (rule !== null) checks.push({ name, value: form.fields[name], rule });
  };
  for (const name of PURCHASE_HEAD_FIELDS) single(name);
  for (const row of form.details) {
    for (const name of DETAIL_FIELDS) checks.push({ name, value: row[name], rule: DETAIL_RULES[name] });
  }
  for (const name of PURCHASE_TAIL_FIELDS) single(name);
  single('sps_hashcode');
  return checks;
}

/**
 * Check 2 in three passes over the fields in protocol order: all required fields (5101), then all
 * lengths (5102), then all formats (5103), so the code names the most basic problem of the form.
 */
function checkFields(
  form: DecodedForm,
  service: ServiceForCheck | null,
): { code: '5101' | '5102' | '5103'; field: string } | null {
  const checks = fieldChecks(form);
  for (const { name, value, rule } of checks)
    if (rule.required && value === '') return { code: '5101', field: name };
  for (const { name, value, rule } of checks) {
    if (rule.max !== undefined && value.length > rule.max && Array.from(value).length > rule.max) {
      return { code: '5102', field: name };
    }
  }
  const shiftJisService = service?.encoding === 'Shift_JIS';
  for (const { name, value, rule } of checks) {
    if (value === '') continue;
    if (!rule.valid(value)) return { code: '5103', field: name };
    // Text a Shift_JIS service could not echo in its A02-1/A03-1 is refused now, not mangled later.
    if (rule.text && shiftJisService && firstUnencodable(value, 'windows-31j') !== null) {
      return { code: '5103', field: name };
    }
  }
  return null;
}

/** Why the service takes no new purchase now, as A01-1 and the pay button both answer it. */
export interface ServiceRefusal {
  code: '5108' | '5111' | '5112';
  /** On a 5112 for a maintenance window: its end, shown in JST. */
  maintenanceEndsAt?: Date;
}

/**
 * Whether the service takes a new purchase now: 5108 when it is unknown or inactive, 5112 under
 * maintenance, 5111 when its merchant is suspended or governance blocks it. A01-1 (check 9) and the
 * shopper's pay button (a payment not yet sent to Alipay+) both ask here, so a stop that began
 * after the selection page opened refuses the pay exactly as it would refuse a new A01-1.
 */
export async function serviceRefusal<S extends ServiceForCheck>(
  service: S | null,
  deps: Pick<PurchaseCheckDeps<S>, 'maintenanceFor' | 'isPurchaseBlocked'>,
): Promise<ServiceRefusal | null> {
  if (service === null || !service.active) return { code: '5108' };
  if (service.maintenance) return { code: '5112' };
  const maintenance = await deps.maintenanceFor(service.merchantId, service.serviceId);
  if (maintenance !== null) {
    return maintenance.endsAt === null
      ? { code: '5112' }
      : { code: '5112', maintenanceEndsAt: maintenance.endsAt };
  }
  if (service.merchantSuspended) return { code: '5111' };
  if (await deps.isPurchaseBlocked(service)) return { code: '5111' };
  return null;
}

/** Check 6, `pay_method`: empty or a comma list that offers `alipay`. */
function offersAlipay(payMethod: string): boolean {
  return payMethod === '' || payMethod.split(',').some((method) => asciiTrim(method) === 'alipay');
}

// ---- the checks ----

export async function checkPurchaseRequest<S extends ServiceForCheck>(
  input: PurchaseInput,
  deps: PurchaseCheckDeps<S>,
): Promise<PurchaseCheck<S>> {
  const pairs = parseFormBytes(input.body);
  const raw = pairs === null ? null : sortFields(pairs);
  const partial: PartialRequest = {
    merchantId: asciiField(raw, 'merchant_id'),
    serviceId: asciiField(raw, 'service_id'),
    orderId: asciiField(raw, 'order_id'),
  };
  let authenticated = false;
  const refuse = (
    code: LinkErrorCode,
    field: string | null,
    httpStatus?: number,
  ): Extract<PurchaseCheck<S>, { ok: false }> => ({
    ok: false,
    code,
    field,
    httpStatus: httpStatus ?? LINK_ERROR_CODES[code].httpStatus,
    authenticated,
    partial,
  });

  // 1. size and decodability.
  if (input.body.length > MAX_PURCHASE_BODY_BYTES) return refuse('5103', null, 413);
  if (raw === null) return refuse('5103', null);
  if (raw.repeated !== null) return refuse('5103', raw.repeated);
  // The service decides the default charset and which text it can carry; its ids are ASCII digits.
  const service =
    /^[0-9]{5}$/.test(partial.merchantId) && /^[0-9]{3}$/.test(partial.serviceId)
      ? await deps.findService(partial.merchantId, partial.serviceId)
      : null;
  const charset = formCharset(input.contentType, raw.charsetField, service?.encoding);
  let form = decodeForm(raw, charset);
  if ('undecodable' in form) return refuse('5103', form.undecodable);

  // 2. required, length, format.
  const fieldError = checkFields(form, service);
  if (fieldError) return refuse(fieldError.code, fieldError.field);

  // 3. merchant and service.
  if (service === null || !service.active) return refuse('5108', null);

  // 4. hash; once more with the strict Shift_JIS mapping when it would read the body differently.
  let verifiedCharset: Charset | null = null;
  if (hexDigestsEqual(linkHash(hashValues(form), service.hashKey), form.fields.sps_hashcode)) {
    verifiedCharset = charset;
  } else if (charset === 'windows-31j' && holdsStrictDifferences(raw)) {
    const strict = decodeForm(raw, 'shift_jis-strict');
    if (!('undecodable' in strict)) {
      if (hexDigestsEqual(linkHash(hashValues(strict), service.hashKey), strict.fields.sps_hashcode)) {
        form = strict;
        verifiedCharset = 'shift_jis-strict';
      }
    }
  }
  if (verifiedCharset === null) return refuse('5105', 'sps_hashcode');
  authenticated = true;
  const fields = form.fields;

  // 5. validity window.
  const limitSecond = fields.limit_second === '' ? DEFAULT_LIMIT_SECOND : Number(fields.limit_second);
  const requestedAt = parseJstCompact(fields.request_date)!.getTime();
  const now = deps.now.getTime();
  if (now - requestedAt > limitSecond * 1000 || requestedAt - now > MAX_FUTURE_MS) {
    return refuse('5106', 'request_date');
  }

  // 6. Alipay+ value rules.
  if (!offersAlipay(fields.pay_method)) return refuse('5109', 'pay_method');
  for (const name of PURCHASE_HEAD_FIELDS) {
    const allowed = ALLOWED_VALUES[name];
    if (allowed !== undefined && fields[name] !== allowed) return refuse('5104', name);
  }

  // 7. URL schemes and registered hosts.
  for (const name of URL_FIELDS) {
    const target = new URL(fields[name]);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return refuse('5113', name);
    if (!isRegisteredHost(target, service.urlHosts, deps.mode)) return refuse('5113', name);
  }
  // The sender's own rule, so no payment is created whose A02-1 could never be delivered. Only
  // production refuses what a name resolves to, so demo mode need not ask DNS.
  if (deps.mode === 'production') {
    const pagecon = new URL(fields.pagecon_url);
    const callback = await callbackTarget(pagecon, service.urlHosts, deps.mode, deps.resolve);
    if (!callback.ok && callback.permanent) return refuse('5113', 'pagecon_url');
  }

  // 8. device: the User-Agent decides; terminal_type may only refuse.
  const device = classifyUserAgent(input.userAgent);
  if (device.device === 'FEATURE_PHONE') return refuse('5110', null);
  if (fields.terminal_type === '2') return refuse('5110', 'terminal_type');

  // 9. maintenance, then the merchant's Alipay+ availability.
  const unavailable = await serviceRefusal(service, deps);
  if (unavailable !== null) {
    const refusal = refuse(unavailable.code, null);
    return unavailable.maintenanceEndsAt === undefined
      ? refusal
      : { ...refusal, maintenanceEndsAt: unavailable.maintenanceEndsAt };
  }

  // 10. order id never used for this service (the payments table's unique key settles races).
  const { sps_hashcode: _hash, ...purchaseFields } = fields;
  const existing = await deps.findOrder(service.merchantId, service.serviceId, fields.order_id);
  if (existing !== null) {
    const resumeToken = resumableToken(existing, purchaseFields, form.details);
    const refusal = refuse('5107', 'order_id');
    return resumeToken === null ? refusal : { ...refusal, resumeToken };
  }

  return {
    ok: true,
    service,
    request: {
      fields: purchaseFields,
      details: form.details,
      charset: verifiedCharset,
      amount: parseYenDigits(fields.amount)!,
      directToAlipay: fields.pay_method === 'alipay',
      device: device.device,
      osType: device.osType,
      limitSecond,
    },
  };
}
