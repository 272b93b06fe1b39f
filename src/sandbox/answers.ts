import { createHash } from 'node:crypto';
import type {
  AmountMessage,
  InquiryAnswerMessage,
  NotifyPaymentMessage,
  QuoteMessage,
  ResultMessage,
  ResultStatus,
  SettlementFields,
  TransactionMessage,
  WalletFields,
} from '../alipayplus/messages';
import { formatJstIso } from '../kernel/jst';
import type { Order, Refund } from './store';
import type { SandboxUrls } from './urls';
import { isWalletId, WALLETS } from './wallets';

/**
 * The answers and notifications the sandbox writes, in the shapes of `alipayplus/messages.ts`: it
 * is the strict writer, so every field is a string, optional fields are omitted, and only fields
 * that mean something for the order's state are present.
 */
export type Result = ResultMessage;

const MESSAGES: Readonly<Record<string, string>> = {
  SUCCESS: 'success',
  UNKNOWN_EXCEPTION: 'An API call failed, which is caused by unknown reasons.',
  PAYMENT_IN_PROCESS: 'The payment is being processed.',
  PROCESS_FAIL: 'A general business failure occurred.',
  PARAM_ILLEGAL: 'Illegal parameters exist.',
  INVALID_SIGNATURE: 'The signature is invalid.',
  KEY_NOT_FOUND: 'The key is not found.',
  INVALID_CLIENT: 'The client is invalid.',
  INVALID_API: 'The called API is invalid or not active.',
  METHOD_NOT_SUPPORTED: 'The HTTP method is not supported.',
  MEDIA_TYPE_NOT_ACCEPTABLE: 'The media type is not acceptable.',
  ORDER_IS_CLOSED: 'The order is closed.',
  ORDER_NOT_EXIST: 'The order does not exist.',
  REPEAT_REQ_INCONSISTENT: 'The request id was used before with different content.',
  USER_BALANCE_NOT_ENOUGH: "The user's balance is not enough.",
  USER_AMOUNT_EXCEED_LIMIT: "The amount exceeds the user's limit.",
  RISK_REJECT: 'The payment was rejected by risk control.',
  USER_STATUS_ABNORMAL: "The user's account status is abnormal.",
  UNAVAILABLE_PAYMENT_METHOD: 'The payment method is not available to this merchant.',
  CURRENCY_NOT_SUPPORT: 'The currency is not supported.',
  CANCEL_WINDOW_EXCEED: 'The cancellation window has passed; refund instead.',
  REFUND_AMOUNT_EXCEED: 'The refund amount exceeds the refundable amount.',
  REFUND_WINDOW_EXCEED: 'The refund window has passed.',
};

const U_CODES = new Set(['UNKNOWN_EXCEPTION', 'PAYMENT_IN_PROCESS', 'REQUEST_TRAFFIC_EXCEED_LIMIT']);

export function result(code: string, message?: string): Result {
  const status: ResultStatus = code === 'SUCCESS' ? 'S' : U_CODES.has(code) ? 'U' : 'F';
  return { resultCode: code, resultStatus: status, resultMessage: message ?? MESSAGES[code] ?? code };
}

export function jpy(value: number): AmountMessage {
  return { currency: 'JPY', value: String(value) };
}

function iso(ms: number): string {
  return formatJstIso(new Date(ms));
}

/** How the payment ended, as `paymentResult` says it. */
export function paymentResultOf(order: Order): Result {
  switch (order.status) {
    case 'PROCESSING':
      return result('PAYMENT_IN_PROCESS');
    case 'SUCCESS':
      return result('SUCCESS');
    case 'FAIL':
      return result(order.result_code ?? 'PROCESS_FAIL');
    case 'CLOSED':
      return result('ORDER_IS_CLOSED');
  }
}

/**
 * Alipay+ names the acquirer it settles with by an id of its own (`acquirerId`); the sandbox gives
 * each client a stable 16-digit one derived from its Client-Id.
 */
export function acquirerIdOf(clientId: string): string {
  const digest = BigInt(`0x${createHash('sha256').update(clientId, 'utf8').digest('hex').slice(0, 15)}`);
  return `102218${(digest % 10n ** 10n).toString().padStart(10, '0')}`;
}

/** pspId, walletBrandName, customerId — once the shopper chose a wallet. */
function walletFields(order: Order): WalletFields {
  if (!order.wallet || !isWalletId(order.wallet)) return {};
  const wallet = WALLETS[order.wallet];
  return {
    pspId: wallet.pspId,
    walletBrandName: wallet.name,
    ...(order.customer_id ? { customerId: order.customer_id } : {}),
  };
}

function settlementFields(order: Order): SettlementFields {
  if (order.status !== 'SUCCESS' || order.paid_at === null) return {};
  return {
    paymentTime: iso(order.paid_at),
    settlementAmount: jpy(order.amount),
    settlementQuote: quoteOf(order),
  };
}

function quoteOf(order: Order): QuoteMessage {
  return { quoteId: order.quote_id, quoteCurrencyPair: order.quote_pair, quotePrice: order.quote_price };
}

/** The `pay` answer for an existing order (first answer or a re-send). */
export function payAnswer(order: Order, urls: SandboxUrls): Record<string, unknown> {
  const ids = { paymentRequestId: order.payment_request_id, paymentId: order.payment_id };
  if (order.status !== 'PROCESSING') {
    return {
      result: paymentResultOf(order),
      ...ids,
      paymentAmount: jpy(order.amount),
      ...settlementFields(order),
    };
  }
  const tileWallet = isWalletId(order.payment_method_type) ? WALLETS[order.payment_method_type] : null;
  const hasApp = tileWallet === null || tileWallet.procedure === 'QR';
  const appUrl = tileWallet
    ? urls.walletApp(tileWallet.id, order.payment_id)
    : urls.anyWalletApp(order.payment_id);
  const destination: Record<string, unknown> = { normalUrl: urls.cashier(order.payment_id) };
  if (hasApp && order.terminal_type === 'WAP') {
    destination.applinkUrl = appUrl;
    destination.schemeUrl = urls.scheme(order.payment_id);
  }
  if (hasApp && order.terminal_type === 'WEB') {
    destination.orderCodeForm = {
      codeDetails: [{ codeValueType: 'QRCODE', codeValue: appUrl, displayType: 'TEXT' }],
      expireTime: iso(order.expires_at),
    };
  }
  return {
    result: result('PAYMENT_IN_PROCESS'),
    ...ids,
    paymentAmount: jpy(order.amount),
    paymentCreateTime: iso(order.created_at),
    paymentExpiryTime: iso(order.expires_at),
    ...destination,
  };
}

/** The notifyPayment body for a final order (alipayplus.md, notifyPayment). */
export function notifyBody(order: Order): NotifyPaymentMessage {
  return {
    paymentResult: paymentResultOf(order),
    paymentRequestId: order.payment_request_id,
    paymentId: order.payment_id,
    acquirerId: acquirerIdOf(order.client_id),
    ...walletFields(order),
    paymentAmount: jpy(order.amount),
    ...settlementFields(order),
  };
}

const PAYMENT_TRANSACTION_STATUS = {
  PROCESSING: 'PROCESSING',
  SUCCESS: 'SUCCESS',
  FAIL: 'FAIL',
  CLOSED: 'CANCELLED',
} as const;

export function inquiryAnswer(order: Order, refunds: readonly Refund[]): InquiryAnswerMessage {
  const transactions: TransactionMessage[] = [
    {
      transactionType: 'PAYMENT',
      transactionStatus: PAYMENT_TRANSACTION_STATUS[order.status],
      transactionId: order.payment_id,
      transactionRequestId: order.payment_request_id,
      transactionAmount: jpy(order.amount),
      transactionTime: iso(order.paid_at ?? order.created_at),
      ...(order.status === 'FAIL' && order.result_code
        ? { transactionResult: result(order.result_code) }
        : {}),
    },
  ];
  if (order.close_reason === 'CANCELLED' && order.closed_at !== null) {
    transactions.push({
      transactionType: 'CANCEL',
      transactionStatus: 'SUCCESS',
      transactionId: `${order.payment_id}C`,
      transactionRequestId: order.payment_request_id,
      transactionAmount: jpy(order.amount),
      transactionTime: iso(order.closed_at),
    });
  }
  for (const refund of refunds) {
    transactions.push({
      transactionType: 'REFUND',
      transactionStatus: refund.status,
      transactionId: refund.refund_id,
      transactionRequestId: refund.refund_request_id,
      transactionAmount: jpy(refund.amount),
      transactionTime: iso(refund.finished_at ?? refund.created_at),
      ...(refund.status === 'FAIL' ? { transactionResult: result(refund.result_code) } : {}),
    });
  }
  return {
    result: result('SUCCESS'),
    paymentResult: paymentResultOf(order),
    paymentRequestId: order.payment_request_id,
    paymentId: order.payment_id,
    acquirerId: acquirerIdOf(order.client_id),
    paymentAmount: jpy(order.amount),
    paymentCreateTime: iso(order.created_at),
    ...walletFields(order),
    ...settlementFields(order),
    transactions,
  };
}

export function refundAnswer(refund: Refund, order: Order): Record<string, unknown> {
  const ids = { refundRequestId: refund.refund_request_id, paymentId: order.payment_id };
  if (refund.status !== 'SUCCESS') return { result: result(refund.result_code), ...ids };
  return {
    result: result('SUCCESS'),
    ...ids,
    refundId: refund.refund_id,
    refundTime: iso(refund.finished_at ?? refund.created_at),
    refundAmount: jpy(refund.amount),
    settlementAmount: jpy(refund.amount),
    settlementQuote: quoteOf(order),
  };
}
