import { randomInt } from 'node:crypto';
import type { Clock } from '../kernel/clock';
import { formatJstCompact, formatJstIso } from '../kernel/jst';
import { inquiryAnswer, notifyBody, payAnswer, type Result, refundAnswer, result } from './answers';
import type { ConsultRequest, PaymentRef, PayRequest, RefundRequest } from './api-requests';
import { convertRoundingUp, type FxTable } from './fx';
import { KeyedLock } from './keyed-lock';
import type { Notifier } from './notifier';
import type { Order, Refund, SandboxStore } from './store';
import type { SandboxUrls } from './urls';
import {
  customerId,
  isWalletId,
  TEST_USERS,
  type TestUser,
  WALLET_IDS,
  WALLETS,
  type WalletId,
} from './wallets';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** alipayplus.md, Expiry: an unpaid Cashier Payment closes after 10 minutes at most. */
const MAX_EXPIRY_MS = 10 * MINUTE;
const UTC8_MS = 8 * 60 * MINUTE;

/** Magic amounts (sandbox.md, Magic amounts). */
export const MAGIC = {
  refused: 4001,
  payUnknownOnce: 5001,
  payTimeoutOnce: 5002,
  notificationNeverSent: 5003,
  notificationThrice: 5004,
  notificationLate: 5005,
  refundUnknownTwice: 6001,
  refundFails: 6002,
} as const;

/** 5002's hold is never scaled: the point is that the gateway's own client times out. */
const PAY_TIMEOUT_HOLD_MS = 10_000;
const LATE_NOTIFICATION_MS = 2 * MINUTE;

export interface ApiAnswer {
  body: Record<string, unknown>;
  /** Answer only after this long (the request is processed at once). */
  holdMs?: number;
}

export interface ShopperOutcome {
  status: 'SUCCESS' | 'FAIL' | 'PROCESSING';
  resultCode: string;
  redirectUrl: string;
  order: Order;
}

export class ShopperError extends Error {
  constructor(
    readonly kind: 'NOT_FOUND' | 'WALLET_NOT_ALLOWED',
    message: string,
  ) {
    super(message);
  }
}

export interface ServiceDeps {
  store: SandboxStore;
  clock: Clock;
  fx: FxTable;
  urls: SandboxUrls;
  notifier: Notifier;
  timeFactor: number;
}

function answer(code: string, message?: string): ApiAnswer {
  return { body: { result: result(code, message) } };
}

/**
 * The Alipay+ side's rules: orders, the shopper's payment, cancel, refund and the notifications
 * they cause. Protocol reading and signing happen in the routes; this works on typed requests.
 */
/** The approved wallets narrowed to those the ACQP allowed (`allowedPspNames`), when it said. */
function allowedBy(approved: WalletId[], allowed: string[] | null): WalletId[] {
  return allowed === null ? approved : approved.filter((w) => allowed.includes(w));
}

export class SandboxService {
  private readonly lock = new KeyedLock();

  constructor(private readonly deps: ServiceDeps) {}

  private now(): number {
    return this.deps.clock.now().getTime();
  }

  /** One step on one order: serialized per key, its store calls on `store` committed together. */
  private step<T>(key: string, work: (store: SandboxStore) => Promise<T>): Promise<T> {
    return this.lock.run(key, () => this.deps.store.transaction(work));
  }

  /**
   * Closes every order whose expiry time has passed on the sandbox clock (the console, a clock
   * move). The API and the pages close the one order they read instead (`current`).
   */
  async sweep(store = this.deps.store): Promise<void> {
    await store.closeExpired(this.now());
  }

  /**
   * The order as it stands now: an unpaid order past its expiry time is closed as it is read
   * (alipayplus.md, Expiry), so that every answer and page sees it closed from that moment on
   * without sweeping the whole table on each request.
   */
  private async current(order: Order | null, store: SandboxStore): Promise<Order | null> {
    if (order?.status !== 'PROCESSING' || order.expires_at > this.now()) return order;
    const closed = {
      status: 'CLOSED',
      close_reason: 'EXPIRED',
      closed_at: order.expires_at,
      updated_at: this.now(),
    } satisfies Partial<Order>;
    if (await store.updateOrder(order.payment_id, ['PROCESSING'], closed)) return { ...order, ...closed };
    // Paid, cancelled or closed meanwhile: what it became.
    return store.orderById(order.payment_id);
  }

  /**
   * The wallets that approved the merchant at review (governance.md §1), in the usual order; the
   * test shortcut `PUT /sandbox/v1/merchants/{id}/wallets` replaces them when set.
   */
  async merchantWallets(merchantId: string, store = this.deps.store): Promise<WalletId[]> {
    const set = await store.allowedWalletsOf(merchantId);
    return WALLET_IDS.filter((w) => set.includes(w));
  }

  /**
   * The wallets the shopper may use for this order: the merchant's approved ones that the ACQP
   * allowed in `pay`, and only the one named in tile mode.
   */
  async walletsFor(order: Order, store = this.deps.store): Promise<WalletId[]> {
    const allowed = allowedBy(
      await this.merchantWallets(order.reference_merchant_id, store),
      order.allowed_wallets ? (JSON.parse(order.allowed_wallets) as string[]) : null,
    );
    const tile = order.payment_method_type;
    return isWalletId(tile) ? allowed.filter((w) => w === tile) : allowed;
  }

  // API: pay

  async pay(clientId: string, req: PayRequest): Promise<ApiAnswer> {
    return this.step(`pay:${req.paymentRequestId}`, async (store) => {
      const { urls } = this.deps;
      const refusal = await store.refusal('pay', req.paymentRequestId);
      if (refusal) {
        return refusal.fingerprint === req.fingerprint
          ? answer(refusal.result_code, refusal.result_message)
          : answer('REPEAT_REQ_INCONSISTENT');
      }
      const existing = await this.current(await store.orderByRequestId(req.paymentRequestId), store);
      if (existing) {
        if (existing.fingerprint !== req.fingerprint || existing.client_id !== clientId) {
          return answer('REPEAT_REQ_INCONSISTENT');
        }
        return { body: payAnswer(existing, urls) };
      }

      const refused = await this.refusePay(store, req);
      if (refused) {
        await store.recordRefusal(
          'pay',
          req.paymentRequestId,
          req.fingerprint,
          refused.resultCode,
          refused.resultMessage,
          this.now(),
        );
        return { body: { result: refused } };
      }
      const amount = req.paymentAmount.value;
      // Which call this is matters only to the amounts that misbehave once: any other call either
      // makes the order (then no re-send gets this far) or is counted below.
      const misbehavesOnce = amount === MAGIC.payUnknownOnce || amount === MAGIC.payTimeoutOnce;
      const calls = misbehavesOnce ? await store.countRequest('pay', req.paymentRequestId) : null;
      if (amount === MAGIC.payUnknownOnce && calls === 1) return answer('UNKNOWN_EXCEPTION');

      const now = this.now();
      if (req.expiryTime && req.expiryTime.getTime() <= now) {
        // No order is made: a re-send with this id (and another amount) is not the first call.
        if (calls === null) await store.countRequest('pay', req.paymentRequestId);
        return answer('PARAM_ILLEGAL', 'paymentExpiryTime is in the past');
      }
      const expiresAt = Math.min(now + MAX_EXPIRY_MS, req.expiryTime?.getTime() ?? Number.POSITIVE_INFINITY);
      const order: Order = {
        payment_id: newId(now),
        payment_request_id: req.paymentRequestId,
        client_id: clientId,
        fingerprint: req.fingerprint,
        reference_merchant_id: req.merchant.id,
        merchant_name: req.merchant.name,
        merchant_display_name: req.merchant.displayName,
        reference_order_id: req.referenceOrderId,
        order_description: req.orderDescription,
        amount,
        payment_method_type: req.paymentMethodType,
        terminal_type: req.terminalType,
        os_type: req.osType,
        allowed_wallets: req.allowedWallets ? JSON.stringify(req.allowedWallets) : null,
        notify_url: req.notifyUrl,
        redirect_url: req.redirectUrl,
        status: 'PROCESSING',
        result_code: null,
        close_reason: null,
        reversed: 0,
        wallet: null,
        user_name: null,
        customer_id: null,
        wallet_currency: null,
        wallet_amount: null,
        quote_id: null,
        quote_pair: null,
        quote_price: null,
        created_at: now,
        expires_at: expiresAt,
        paid_at: null,
        closed_at: null,
        updated_at: now,
      };
      await store.insertOrder(order);
      const body = payAnswer(order, urls);
      return amount === MAGIC.payTimeoutOnce && calls === 1
        ? { body, holdMs: PAY_TIMEOUT_HOLD_MS }
        : { body };
    });
  }

  /** Business refusals of a well-formed `pay`; recorded so a re-send gets the same answer. */
  private async refusePay(store: SandboxStore, req: PayRequest): Promise<Result | null> {
    if (req.paymentAmount.currency !== 'JPY') {
      return result('CURRENCY_NOT_SUPPORT', 'paymentAmount.currency must be JPY');
    }
    if (req.settlementCurrency !== 'JPY') {
      return result('CURRENCY_NOT_SUPPORT', 'settlementStrategy.settlementCurrency must be JPY');
    }
    const allowed = allowedBy(await this.merchantWallets(req.merchant.id, store), req.allowedWallets);
    const method = req.paymentMethodType;
    if (method === 'CONNECT_WALLET' ? allowed.length === 0 : !allowed.some((w) => w === method)) {
      return result(
        'UNAVAILABLE_PAYMENT_METHOD',
        `${method} is not available to merchant ${req.merchant.id} (allowed: ${allowed.join(', ') || 'none'})`,
      );
    }
    return null;
  }

  // API: inquiryPayment, cancelPayment, consultPayment

  private async findOrder(clientId: string, ref: PaymentRef): Promise<Order | null> {
    const { store } = this.deps;
    const order = ref.paymentId
      ? await store.orderById(ref.paymentId)
      : await store.orderByRequestId(ref.paymentRequestId ?? '');
    if (!order || order.client_id !== clientId) return null;
    if (ref.paymentRequestId && order.payment_request_id !== ref.paymentRequestId) return null;
    return this.current(order, store);
  }

  async inquire(clientId: string, ref: PaymentRef): Promise<ApiAnswer> {
    const order = await this.findOrder(clientId, ref);
    if (!order) return answer('ORDER_NOT_EXIST');
    return { body: inquiryAnswer(order, await this.deps.store.refundsOf(order.payment_id)) };
  }

  async cancel(clientId: string, ref: PaymentRef): Promise<ApiAnswer> {
    const found = await this.findOrder(clientId, ref);
    if (!found) return answer('ORDER_NOT_EXIST');
    return this.step(`order:${found.payment_id}`, async (store) => {
      const { notifier } = this.deps;
      const order = await this.current(await store.orderById(found.payment_id), store);
      if (!order) return answer('ORDER_NOT_EXIST');
      const now = this.now();
      const done = () => ({
        body: {
          result: result('SUCCESS'),
          paymentRequestId: order.payment_request_id,
          paymentId: order.payment_id,
          cancelTime: formatJstIso(new Date(order.closed_at ?? now)),
        },
      });
      if (order.close_reason === 'CANCELLED') return done();
      if (now > cancelDeadline(order.created_at)) return answer('CANCEL_WINDOW_EXCEED');
      if (order.status !== 'CLOSED') {
        // Cancel wins (alipayplus.md, cancelPayment): a paid order is reversed and its pending
        // success notification is withdrawn.
        const changed = await store.updateOrder(order.payment_id, [order.status], {
          status: 'CLOSED',
          close_reason: 'CANCELLED',
          reversed: order.status === 'SUCCESS' ? 1 : 0,
          closed_at: now,
          updated_at: now,
        });
        if (!changed) return answer('UNKNOWN_EXCEPTION', 'the order changed meanwhile; re-send the cancel');
        order.closed_at = now;
        notifier.forget(await store.stopNotifications(order.payment_id, 'order cancelled', now));
      }
      return done();
    });
  }

  async consult(req: ConsultRequest): Promise<ApiAnswer> {
    if (req.paymentAmount.currency !== 'JPY') {
      return answer('CURRENCY_NOT_SUPPORT', 'paymentAmount.currency must be JPY');
    }
    const allowed = req.merchantId ? await this.merchantWallets(req.merchantId) : [...WALLET_IDS];
    return {
      body: {
        result: result('SUCCESS'),
        paymentOptions: WALLET_IDS.map((id) => ({
          paymentMethodType: id,
          paymentMethodCategory: 'WALLET',
          enabled: allowed.includes(id) ? 'true' : 'false',
          logo: {
            logoName: WALLETS[id].name,
            logoUrl: `${this.deps.urls.base}/sandbox/wallets/${id}/logo.svg`,
          },
        })),
      },
    };
  }

  // API: refund

  async refund(clientId: string, req: RefundRequest): Promise<ApiAnswer> {
    const found = await this.findOrder(clientId, req);
    if (!found) return answer('ORDER_NOT_EXIST');
    return this.step(`order:${found.payment_id}`, async (store) => {
      const order = await this.current(await store.orderById(found.payment_id), store);
      if (!order) return answer('ORDER_NOT_EXIST');
      const existing = await store.refundByRequestId(req.refundRequestId);
      if (existing) {
        if (existing.payment_id !== order.payment_id || existing.amount !== req.refundAmount.value) {
          return answer('REPEAT_REQ_INCONSISTENT');
        }
        if (existing.status !== 'PROCESSING') return { body: refundAnswer(existing, order) };
        return this.completeRefund(store, existing, order);
      }
      const now = this.now();
      const refused = this.refuseRefund(order, req, await store.refundsOf(order.payment_id), now);
      const refund: Refund = {
        refund_id: newId(now),
        refund_request_id: req.refundRequestId,
        payment_id: order.payment_id,
        amount: req.refundAmount.value,
        reason: req.refundReason,
        status: refused ? 'FAIL' : 'PROCESSING',
        result_code: refused ?? 'PAYMENT_IN_PROCESS',
        wallet_amount: refused ? null : await this.walletRefundAmount(store, order, req.refundAmount.value),
        created_at: now,
        finished_at: refused ? now : null,
      };
      await store.insertRefund(refund);
      if (refused) return { body: refundAnswer(refund, order) };
      return this.completeRefund(store, refund, order);
    });
  }

  private refuseRefund(
    order: Order,
    req: RefundRequest,
    refunds: readonly Refund[],
    now: number,
  ): string | null {
    if (req.refundAmount.currency !== 'JPY') return 'CURRENCY_NOT_SUPPORT';
    if (order.status === 'CLOSED') return 'ORDER_IS_CLOSED';
    if (order.status !== 'SUCCESS' || order.paid_at === null) return 'PROCESS_FAIL';
    const lastDay = new Date(order.paid_at);
    lastDay.setUTCFullYear(lastDay.getUTCFullYear() + 1);
    if (now > lastDay.getTime()) return 'REFUND_WINDOW_EXCEED';
    const taken = refunds.filter((r) => r.status !== 'FAIL').reduce((sum, r) => sum + r.amount, 0);
    if (taken + req.refundAmount.value > order.amount) return 'REFUND_AMOUNT_EXCEED';
    if (order.amount === MAGIC.refundFails) return 'PROCESS_FAIL';
    return null;
  }

  /**
   * The shopper gets back the JPY amount at the payment's own rate, rounded up, but never more
   * than what is left of what they paid; the refund that completes the JPY total returns exactly
   * the rest.
   */
  private async walletRefundAmount(
    store: SandboxStore,
    order: Order,
    amount: number,
  ): Promise<string | null> {
    if (!order.wallet_amount || !order.wallet_currency || !order.quote_price) return null;
    const refunds = (await store.refundsOf(order.payment_id)).filter((r) => r.status !== 'FAIL');
    const refundedJpy = refunds.reduce((sum, r) => sum + r.amount, 0);
    const refundedWallet = refunds.reduce((sum, r) => sum + BigInt(r.wallet_amount ?? '0'), 0n);
    const left = BigInt(order.wallet_amount) - refundedWallet;
    if (refundedJpy + amount === order.amount) return left.toString();
    const converted = convertRoundingUp(amount, order.quote_price, order.wallet_currency);
    return (converted < left ? converted : left).toString();
  }

  private async completeRefund(store: SandboxStore, refund: Refund, order: Order): Promise<ApiAnswer> {
    const calls = await store.countRequest('refund', refund.refund_request_id);
    if (order.amount === MAGIC.refundUnknownTwice && calls <= 2) return answer('UNKNOWN_EXCEPTION');
    const now = this.now();
    await store.finishRefund(refund.refund_id, {
      status: 'SUCCESS',
      result_code: 'SUCCESS',
      finished_at: now,
    });
    return {
      body: refundAnswer({ ...refund, status: 'SUCCESS', result_code: 'SUCCESS', finished_at: now }, order),
    };
  }

  // The shopper (pages and the control API)

  async order(paymentId: string, store = this.deps.store): Promise<Order | null> {
    return this.current(await store.orderById(paymentId), store);
  }

  async orderByRequestId(paymentRequestId: string): Promise<Order | null> {
    const { store } = this.deps;
    return this.current(await store.orderByRequestId(paymentRequestId), store);
  }

  /** What the wallet shows the shopper before paying: their amount and the rate. */
  quoteFor(order: Order, wallet: WalletId): { currency: string; amount: bigint; rate: string } {
    const currency = WALLETS[wallet].currency;
    const rate = this.deps.fx.rate(currency);
    return { currency, amount: convertRoundingUp(order.amount, rate, currency), rate };
  }

  private async checkWallet(order: Order, wallet: WalletId, store = this.deps.store): Promise<void> {
    const allowed = await this.walletsFor(order, store);
    if (!allowed.includes(wallet)) {
      throw new ShopperError('WALLET_NOT_ALLOWED', `${wallet} is not available for this order`);
    }
  }

  private outcome(order: Order): ShopperOutcome {
    const status =
      order.status === 'SUCCESS' ? 'SUCCESS' : order.status === 'PROCESSING' ? 'PROCESSING' : 'FAIL';
    const code =
      order.status === 'CLOSED'
        ? 'ORDER_IS_CLOSED'
        : order.status === 'PROCESSING'
          ? 'PAYMENT_IN_PROCESS'
          : (order.result_code ?? 'SUCCESS');
    return { status, resultCode: code, redirectUrl: order.redirect_url, order };
  }

  /** The shopper pressed "Pay" in the wallet as `user` (sandbox.md, Pages). */
  async shopperPays(paymentId: string, wallet: WalletId, user: TestUser): Promise<ShopperOutcome> {
    return this.step(`order:${paymentId}`, async (store) => {
      const { fx } = this.deps;
      const order = await this.order(paymentId, store);
      if (!order) throw new ShopperError('NOT_FOUND', `no order ${paymentId}`);
      await this.checkWallet(order, wallet, store);
      if (order.status !== 'PROCESSING') return this.outcome(order);
      const now = this.now();
      const code = order.amount === MAGIC.refused ? 'USER_BALANCE_NOT_ENOUGH' : TEST_USERS[user];
      const quote = fx.quote(WALLETS[wallet].currency);
      const changes: Partial<Order> = {
        status: code === 'SUCCESS' ? 'SUCCESS' : 'FAIL',
        result_code: code,
        wallet,
        user_name: user,
        customer_id: customerId(wallet, user),
        wallet_currency: WALLETS[wallet].currency,
        wallet_amount: convertRoundingUp(order.amount, quote.quotePrice, WALLETS[wallet].currency).toString(),
        quote_id: quote.quoteId,
        quote_pair: quote.quoteCurrencyPair,
        quote_price: quote.quotePrice,
        paid_at: now,
        updated_at: now,
      };
      if (!(await store.updateOrder(paymentId, ['PROCESSING'], changes))) {
        const current = await store.orderById(paymentId);
        return this.outcome(current ?? order);
      }
      const final = { ...order, ...changes };
      await this.notify(store, final);
      return this.outcome(final);
    });
  }

  /** The shopper pressed "Cancel" in the wallet: the order stays open (and will expire). */
  async shopperCancels(paymentId: string, wallet: WalletId | null): Promise<ShopperOutcome> {
    const order = await this.order(paymentId);
    if (!order) throw new ShopperError('NOT_FOUND', `no order ${paymentId}`);
    if (wallet) await this.checkWallet(order, wallet);
    return this.outcome(order);
  }

  /** The console's "expire now". */
  async expireNow(paymentId: string): Promise<boolean> {
    return this.lock.run(`order:${paymentId}`, async () => {
      const now = this.now();
      return this.deps.store.updateOrder(paymentId, ['PROCESSING'], {
        status: 'CLOSED',
        close_reason: 'EXPIRED',
        expires_at: now,
        closed_at: now,
        updated_at: now,
      });
    });
  }

  /** Queues notifyPayment for a final order, honouring the notification magic amounts. */
  private async notify(store: SandboxStore, order: Order): Promise<void> {
    const { notifier, timeFactor } = this.deps;
    const body = JSON.stringify(notifyBody(order));
    const target = { paymentId: order.payment_id, clientId: order.client_id, url: order.notify_url, body };
    switch (order.amount) {
      case MAGIC.notificationNeverSent:
        await notifier.withhold(target, `amount ${MAGIC.notificationNeverSent}: never sent`, store);
        return;
      case MAGIC.notificationThrice:
        for (let i = 0; i < 3; i++) await notifier.enqueue(target, 0, store);
        return;
      case MAGIC.notificationLate:
        await notifier.enqueue(target, LATE_NOTIFICATION_MS * timeFactor, store);
        return;
      default:
        await notifier.enqueue(target, 0, store);
    }
  }
}

/** Alipay+ ids are digits: the creation time (JST) and a random tail. */
function newId(now: number): string {
  let tail = '';
  for (let i = 0; i < 14; i++) tail += String(randomInt(0, 10));
  return `${formatJstCompact(new Date(now))}${tail}`;
}

/** alipayplus.md, cancelPayment: allowed until 00:15 UTC+8 on the day after creation. */
function cancelDeadline(createdAt: number): number {
  const local = createdAt + UTC8_MS;
  return Math.floor(local / DAY) * DAY + DAY + 15 * MINUTE - UTC8_MS;
}
