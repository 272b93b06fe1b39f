import type { z } from 'zod';
import {
  type AmountSchema,
  ConsultRequestSchema,
  PaymentRefSchema,
  PayRequestSchema,
  RefundRequestSchema,
  RegistrationInquirySchema,
  RegistrationRequestSchema,
} from '../alipayplus/messages';
import { parseAlipayTime } from '../alipayplus/signing';

/**
 * Strict reading of ACQP request bodies with the shared message schemas (alipayplus.md, Data
 * rules). Any breach is `PARAM_ILLEGAL` with a message naming the field.
 */
export class ParamIllegal extends Error {
  override name = 'ParamIllegal';
}

export type Amount = z.output<typeof AmountSchema>;

/** The requests of the five APIs, as the sandbox uses them. */
export interface PayRequest {
  paymentRequestId: string;
  paymentAmount: Amount;
  paymentMethodType: string;
  settlementCurrency: string;
  expiryTime: Date | null;
  notifyUrl: string;
  redirectUrl: string;
  referenceOrderId: string;
  orderDescription: string;
  merchant: { id: string; name: string; displayName: string };
  terminalType: string;
  osType: string | null;
  /** The sub-brands the ACQP allows for this payment; `null` when it did not say. */
  allowedWallets: string[] | null;
  /** The fields whose change makes a re-send inconsistent (alipayplus.md, Idempotency). */
  fingerprint: string;
}

export interface PaymentRef {
  paymentRequestId?: string;
  paymentId?: string;
}

export interface RefundRequest extends PaymentRef {
  refundRequestId: string;
  refundAmount: Amount;
  refundReason: string | null;
}

export interface RegistrationRequest {
  registrationRequestId: string;
  notifyUrl: string;
  merchantId: string;
  displayName: string;
  pspNames: string[];
  fingerprint: string;
}

export interface RegistrationInquiry {
  registrationRequestId: string | null;
  merchantId: string | null;
}

export interface ConsultRequest {
  paymentAmount: Amount;
  merchantId: string | null;
}

const TEXT_DECODER = new TextDecoder('utf-8', { fatal: true });

/** A request body: UTF-8 JSON, an object, and every value in it a non-empty string (or null). */
export type RequestBody = Record<string, unknown>;

/** Parses the body bytes, refusing non-UTF-8, non-JSON, non-objects and non-string values. */
export function readBody(body: Buffer): RequestBody {
  let value: unknown;
  try {
    value = JSON.parse(TEXT_DECODER.decode(body));
  } catch {
    throw new ParamIllegal('the body is not UTF-8 JSON');
  }
  if (!isObject(value)) throw new ParamIllegal('the body is not a JSON object');
  checkScalars(value, []);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: PropertyKey): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${String(key)}` : String(key);
}

/**
 * The protocol's rule for every field, known or not: strings only, and no empty strings. `path`
 * holds the keys down to `value`; it is spelled out only for the message of a field that breaks it.
 */
function checkScalars(value: unknown, path: PropertyKey[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      path.push(i);
      checkScalars(item, path);
      path.pop();
    });
  } else if (isObject(value)) {
    for (const key in value) {
      path.push(key);
      checkScalars(value[key], path);
      path.pop();
    }
  } else if (value === null) {
    return;
  } else if (typeof value !== 'string') {
    throw new ParamIllegal(`${path.reduce<string>(join, '')} must be a JSON string, got ${typeof value}`);
  } else if (value === '') {
    throw new ParamIllegal(`${path.reduce<string>(join, '')} must be omitted or null, not ""`);
  }
}

/** Checks `body` against a message schema; the first issue becomes the PARAM_ILLEGAL message. */
function read<S extends z.ZodType>(schema: S, body: RequestBody): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const path = (issue?.path ?? []).reduce<string>(join, '');
  throw new ParamIllegal(path ? `${path} ${issue?.message}` : (issue?.message ?? 'invalid request'));
}

const orUndefined = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

export function parsePay(body: RequestBody): PayRequest {
  const req = read(PayRequestSchema, body);
  const { merchant, env } = req.order;
  return {
    paymentRequestId: req.paymentRequestId,
    paymentAmount: req.paymentAmount,
    paymentMethodType: req.paymentMethod.paymentMethodType,
    settlementCurrency: req.settlementStrategy.settlementCurrency,
    expiryTime: req.paymentExpiryTime ? parseAlipayTime(req.paymentExpiryTime) : null,
    notifyUrl: req.paymentNotifyUrl,
    redirectUrl: req.paymentRedirectUrl,
    referenceOrderId: req.order.referenceOrderId,
    orderDescription: req.order.orderDescription,
    merchant: {
      id: merchant.referenceMerchantId,
      name: merchant.merchantName,
      displayName: merchant.merchantDisplayName ?? merchant.merchantName,
    },
    terminalType: env.terminalType,
    osType: env.osType ?? null,
    allowedWallets: req.allowedPspNames ?? null,
    fingerprint: canonicalJson({
      paymentAmount: body.paymentAmount,
      paymentMethod: body.paymentMethod,
      orderAmount: (body.order as RequestBody).orderAmount,
      paymentFactor: body.paymentFactor,
      settlementStrategy: body.settlementStrategy,
    }),
  };
}

function paymentRefOf(ref: { paymentRequestId?: string | null; paymentId?: string | null }): PaymentRef {
  const paymentRequestId = orUndefined(ref.paymentRequestId);
  const paymentId = orUndefined(ref.paymentId);
  return { ...(paymentRequestId ? { paymentRequestId } : {}), ...(paymentId ? { paymentId } : {}) };
}

export function parsePaymentRef(body: RequestBody): PaymentRef {
  return paymentRefOf(read(PaymentRefSchema, body));
}

export function parseRefund(body: RequestBody): RefundRequest {
  const req = read(RefundRequestSchema, body);
  return {
    ...paymentRefOf(req),
    refundRequestId: req.refundRequestId,
    refundAmount: req.refundAmount,
    refundReason: req.refundReason ?? null,
  };
}

export function parseConsult(body: RequestBody): ConsultRequest {
  const req = read(ConsultRequestSchema, body);
  return { paymentAmount: req.paymentAmount, merchantId: req.merchant?.referenceMerchantId ?? null };
}

export function parseRegistration(body: RequestBody): RegistrationRequest {
  const req = read(RegistrationRequestSchema, body);
  return {
    registrationRequestId: req.registrationRequestId,
    notifyUrl: req.registrationNotifyURL,
    merchantId: req.merchantInfo.referenceMerchantId,
    displayName: req.merchantInfo.merchantDisplayName,
    pspNames: req.pspNames,
    fingerprint: canonicalJson({ merchantInfo: body.merchantInfo, pspNames: body.pspNames }),
  };
}

export function parseRegistrationInquiry(body: RequestBody): RegistrationInquiry {
  const req = read(RegistrationInquirySchema, body);
  return {
    registrationRequestId: req.registrationRequestId ?? null,
    merchantId: req.referenceMerchantId ?? null,
  };
}

/** A stable text of JSON values (sorted keys), to compare the idempotency-relevant fields. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined && value[k] !== null)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
