import { type Amount, canonicalJson, type Fields, ParamIllegal } from './api-fields';

/** The requests of the five APIs, read strictly from their bodies (alipayplus.md). */
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

export interface ConsultRequest {
  paymentAmount: Amount;
  merchantId: string | null;
}

const ID = { max: 64 };

export function parsePay(f: Fields): PayRequest {
  const paymentRequestId = f.string('paymentRequestId', ID);
  const paymentAmount = f.amount('paymentAmount');
  const method = f.object('paymentMethod');
  const paymentMethodType = method.string('paymentMethodType', { max: 64 });
  const factor = f.object('paymentFactor');
  if (factor.string('isCashierPayment') !== 'true') {
    throw new ParamIllegal('paymentFactor.isCashierPayment must be "true" (Cashier Payment)');
  }
  if (factor.has('isInStorePayment')) factor.oneOf('isInStorePayment', ['true', 'false']);
  factor.optionalString('presentmentMode', { max: 32 });
  const expiryTime = f.optionalTime('paymentExpiryTime') ?? null;
  const notifyUrl = f.url('paymentNotifyUrl');
  const redirectUrl = f.url('paymentRedirectUrl');
  const settlement = f.object('settlementStrategy');
  const settlementCurrency = settlement.string('settlementCurrency', {
    pattern: /^[A-Z]{3}$/,
    expected: 'an ISO 4217 code',
  });
  const order = f.object('order');
  const referenceOrderId = order.string('referenceOrderId', ID);
  const orderDescription = order.string('orderDescription', { max: 256 });
  order.amount('orderAmount');
  const merchant = order.object('merchant');
  const merchantId = merchant.string('referenceMerchantId', ID);
  merchant.string('merchantMCC', { pattern: /^\d{4}$/, expected: 'four digits' });
  const merchantName = merchant.string('merchantName', { max: 256 });
  const displayName = merchant.optionalString('merchantDisplayName', { max: 256 }) ?? merchantName;
  merchant.optionalTime('merchantRegisterDate');
  merchant
    .object('merchantAddress')
    .string('region', { pattern: /^[A-Z]{2}$/, expected: 'an ISO 3166 code' });
  order.optionalObject('buyer')?.optionalString('referenceBuyerId', ID);
  const env = order.object('env');
  const terminalType = env.oneOf('terminalType', ['WEB', 'WAP', 'APP', 'MINI_APP']);
  const osType = env.has('osType') ? env.oneOf('osType', ['IOS', 'ANDROID']) : null;
  env.optionalString('userAgent', { max: 1024 });
  env.optionalString('clientIp', { max: 64 });
  return {
    paymentRequestId,
    paymentAmount,
    paymentMethodType,
    settlementCurrency,
    expiryTime,
    notifyUrl,
    redirectUrl,
    referenceOrderId,
    orderDescription,
    merchant: { id: merchantId, name: merchantName, displayName },
    terminalType,
    osType,
    fingerprint: canonicalJson({
      paymentAmount: f.value.paymentAmount,
      paymentMethod: f.value.paymentMethod,
      orderAmount: order.value.orderAmount,
      paymentFactor: f.value.paymentFactor,
      settlementStrategy: f.value.settlementStrategy,
    }),
  };
}

export function parsePaymentRef(f: Fields): PaymentRef {
  const paymentRequestId = f.optionalString('paymentRequestId', ID);
  const paymentId = f.optionalString('paymentId', ID);
  if (paymentRequestId === undefined && paymentId === undefined) {
    throw new ParamIllegal('paymentRequestId or paymentId is required');
  }
  return { ...(paymentRequestId ? { paymentRequestId } : {}), ...(paymentId ? { paymentId } : {}) };
}

export function parseRefund(f: Fields): RefundRequest {
  const refundRequestId = f.string('refundRequestId', ID);
  const ref = parsePaymentRef(f);
  const refundAmount = f.amount('refundAmount');
  const refundReason = f.optionalString('refundReason', { max: 256 }) ?? null;
  return { ...ref, refundRequestId, refundAmount, refundReason };
}

export function parseConsult(f: Fields): ConsultRequest {
  const paymentAmount = f.amount('paymentAmount');
  f.optionalString('userRegion', { pattern: /^[A-Z]{2}$/, expected: 'an ISO 3166 code' });
  f.optionalObject('settlementStrategy')?.optionalString('settlementCurrency');
  f.optionalObject('paymentFactor');
  f.optionalObject('env');
  const merchantId = f.optionalObject('merchant')?.optionalString('referenceMerchantId', ID) ?? null;
  return { paymentAmount, merchantId };
}
