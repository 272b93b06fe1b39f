import { asciiTrim } from '../../kernel/hashing';
import { parseJstCompact } from '../../kernel/jst';
import { type Yen, yen } from '../../kernel/money';
import {
  type ErrorType,
  type FieldCodeName,
  NOT_WELL_FORMED,
  UNKNOWN_FUNCTION,
  xmlErrorCode,
} from './xml-codes';
import type { XmlDocument } from './xml-document';

/**
 * The requests of the implemented function ids and their field checks (merchant-xml-api.md).
 * Each field is checked in request order: required (03), characters (06 — which also refuses a
 * tab, CR or LF inside a value), length (05), format (06), value (07). Before that the document's
 * shape is checked: an element the function does not have — including a known name in the wrong
 * case or the wrong place, e.g. `<Amount>` — is a format error (06) of the field it resembles, never
 * silently ignored (an ignored `<Amount>` would turn a partial refund into a full one).
 */
export const REQUEST_ROOT = 'sps-api-request';
export const REFUND_FUNCTION = 'ST02-00306-510';
export const INQUIRY_FUNCTION = 'MG01-00101-510';
export type XmlFunctionId = typeof REFUND_FUNCTION | typeof INQUIRY_FUNCTION;

type FieldName = Exclude<FieldCodeName, 'function' | 'none'>;

interface FieldRule {
  name: FieldName;
  path: readonly string[];
  required: boolean;
  /** The characters allowed at all (checked before the length). */
  chars: RegExp;
  max: number;
  valid?: (value: string) => boolean;
  allowed?: (value: string) => boolean;
}

/** `limit_second` when empty, and how far ahead `request_date` may be (payment-lifecycle.md, Clocks). */
const DEFAULT_LIMIT_SECOND = 600;
const MAX_FUTURE_MS = 600_000;

const DIGITS = /^[0-9]+$/;
const isJstDateTime = (v: string) => parseJstCompact(v) !== null;

const rule = (
  name: FieldName,
  required: boolean,
  chars: RegExp,
  max: number,
  more: Partial<FieldRule> = {},
) => ({ name, path: [name], required, chars, max, ...more }) satisfies FieldRule;

const MERCHANT_ID = rule('merchant_id', true, DIGITS, 5, { valid: (v) => v.length === 5 });
const SERVICE_ID = rule('service_id', true, DIGITS, 3, { valid: (v) => v.length === 3 });
const SPS_TRANSACTION_ID = rule('sps_transaction_id', false, /^[0-9A-Za-z]+$/, 32);
const TRACKING_ID = rule('tracking_id', true, DIGITS, 14, { valid: (v) => v.length === 14 });
const PROCESSING_DATETIME = rule('processing_datetime', false, DIGITS, 14, { valid: isJstDateTime });
// Amount codes: not digits (a minus sign included) 06, more than 7 digits 05, zero 07.
const AMOUNT = rule('amount', false, DIGITS, 7, {
  path: ['pay_option_manage', 'amount'],
  allowed: (v) => Number(v) > 0,
});
const REQUEST_DATE = rule('request_date', true, DIGITS, 14, { valid: isJstDateTime });
const LIMIT_SECOND = rule('limit_second', false, DIGITS, 4);
const SPS_HASHCODE = rule('sps_hashcode', true, /^[0-9A-Fa-f]+$/, 40, { valid: (v) => v.length === 40 });

interface FunctionSpec {
  fields: readonly FieldRule[];
  /** Elements that only group others. */
  containers: readonly (readonly string[])[];
}

const FUNCTIONS: Record<XmlFunctionId, FunctionSpec> = {
  [REFUND_FUNCTION]: {
    fields: [
      MERCHANT_ID,
      SERVICE_ID,
      SPS_TRANSACTION_ID,
      TRACKING_ID,
      PROCESSING_DATETIME,
      AMOUNT,
      REQUEST_DATE,
      LIMIT_SECOND,
      SPS_HASHCODE,
    ],
    containers: [['pay_option_manage']],
  },
  [INQUIRY_FUNCTION]: {
    fields: [
      MERCHANT_ID,
      SERVICE_ID,
      SPS_TRANSACTION_ID,
      TRACKING_ID,
      REQUEST_DATE,
      LIMIT_SECOND,
      SPS_HASHCODE,
    ],
    containers: [],
  },
};

export interface XmlRequestFields {
  merchantId: string;
  serviceId: string;
  /** `null` when not given. */
  spsTransactionId: string | null;
  trackingId: string;
  processingDatetime: string | null;
  /** `null` = no amount: a full refund. */
  amount: Yen | null;
  requestDate: string;
  requestedAt: Date;
  limitSecond: number;
  spsHashcode: string;
}

export type XmlRequestRead =
  | { ok: true; functionId: XmlFunctionId; fields: XmlRequestFields }
  | { ok: false; functionId: XmlFunctionId | null; code: string };

function isFunctionId(id: string | null): id is XmlFunctionId {
  return id !== null && Object.hasOwn(FUNCTIONS, id);
}

export function readXmlRequest(document: XmlDocument): XmlRequestRead {
  if (document.root !== REQUEST_ROOT) return { ok: false, functionId: null, code: NOT_WELL_FORMED };
  const functionId = document.id;
  if (!isFunctionId(functionId)) return { ok: false, functionId: null, code: UNKNOWN_FUNCTION };
  const spec = FUNCTIONS[functionId];
  const refuse = (type: ErrorType, field: FieldCodeName): XmlRequestRead => ({
    ok: false,
    functionId,
    code: xmlErrorCode(type, field),
  });

  const values = new Map<FieldName, string>();
  const seen = new Set<string>();
  for (const element of document.elements) {
    const key = element.path.join('/');
    const field = spec.fields.find((f) => f.path.join('/') === key);
    const isContainer = spec.containers.some((c) => c.join('/') === key);
    if (!field && !isContainer) return refuse('badFormat', resembledField(spec, element.path));
    if (seen.has(key)) return refuse('badFormat', field?.name ?? 'none');
    seen.add(key);
    if (field && element.hasChildren) return refuse('badFormat', field.name);
    if (isContainer && /\S/.test(element.text)) return refuse('badFormat', 'none');
    if (field) values.set(field.name, asciiTrim(element.text));
  }

  for (const field of spec.fields) {
    const value = values.get(field.name) ?? '';
    if (value === '') {
      if (field.required) return refuse('required', field.name);
      continue;
    }
    if (!field.chars.test(value)) return refuse('badFormat', field.name);
    if (value.length > field.max) return refuse('tooLong', field.name);
    if (field.valid && !field.valid(value)) return refuse('badFormat', field.name);
    if (field.allowed && !field.allowed(value)) return refuse('notAllowed', field.name);
  }

  const get = (name: FieldName) => values.get(name) ?? '';
  const optional = (name: FieldName) => get(name) || null;
  const amount = optional('amount');
  const limitSecond = optional('limit_second');
  return {
    ok: true,
    functionId,
    fields: {
      merchantId: get('merchant_id'),
      serviceId: get('service_id'),
      spsTransactionId: optional('sps_transaction_id'),
      trackingId: get('tracking_id'),
      processingDatetime: optional('processing_datetime'),
      amount: amount === null ? null : yen(Number(amount)),
      requestDate: get('request_date'),
      requestedAt: parseJstCompact(get('request_date'))!,
      limitSecond: limitSecond === null ? DEFAULT_LIMIT_SECOND : Number(limitSecond),
      spsHashcode: get('sps_hashcode'),
    },
  };
}

/** The function's field an unexpected element most likely meant (its name in another case or place). */
function resembledField(spec: FunctionSpec, path: readonly string[]): FieldCodeName {
  const name = path[path.length - 1]!.toLowerCase();
  return spec.fields.find((f) => f.name === name)?.name ?? 'none';
}

/** The last instant the request is valid: `request_date` + `limit_second`. */
export function validUntil(fields: XmlRequestFields): Date {
  return new Date(fields.requestedAt.getTime() + fields.limitSecond * 1000);
}

export function isWithinValidity(fields: XmlRequestFields, now: Date): boolean {
  return (
    now.getTime() <= validUntil(fields).getTime() &&
    fields.requestedAt.getTime() - now.getTime() <= MAX_FUTURE_MS
  );
}

/**
 * Identical refund requests — same merchant, service, tracking id, amount (or full) and
 * `request_date`; other fields ignored — are one refund (merchant-xml-api.md, Replays).
 */
export function refundReplayKey(fields: XmlRequestFields): string {
  return [
    fields.merchantId,
    fields.serviceId,
    fields.trackingId,
    fields.amount ?? 'FULL',
    fields.requestDate,
  ].join('|');
}
