import { isUniqueViolation } from '../db/connection';
import type { Db, PaymentRow } from '../db/database';
import { enqueueJob } from '../jobs/job.repository';
import type { Charset } from '../kernel/charset';
import type { Yen } from '../kernel/money';
import type { ServiceWithMerchant } from '../merchants/merchant.repository';
import type { CancelProtocol } from './cancel-protocol';
import { applyEnding, closedEnding, failedEnding, unsentEnding } from './endings';
import {
  findPaymentByToken,
  type InProgressPayment,
  insertPayment,
  type Payment,
  recordPayOutcome,
  toPayment,
} from './payment.repository';
import { keepExchangeIn, type PaymentServiceDeps, reloadPayment } from './payment-context';
import {
  DEADLINE_GRACE_MS,
  JOB_DEADLINE,
  JOB_EXPIRE_SELECTION,
  jobKey,
  PAYMENT_DEADLINE_MS,
  SELECTION_LIFETIME_MS,
} from './payment-schedule';
import type { ProviderResults } from './provider-results';
import { recordTransition } from './record-transition';

/** `pay` is sent at most this many times (the first and the re-sends of the same request). */
const PAY_SENDS = 3;

export interface NewPaymentInput {
  merchantId: string;
  serviceId: string;
  orderId: string;
  amount: Yen;
  custCode: string;
  itemId: string;
  itemName: string;
  /** The echoed A01-1 fields as received (A02-1/A03-1 send them back). */
  requestFields: Record<string, string>;
  details: Array<Record<string, string>>;
  freeCsv: string;
  charset: Charset;
  terminal: 'WEB' | 'WAP';
  osType: 'IOS' | 'ANDROID' | null;
  userAgent: string;
  clientIp: string;
  /**
   * The request chose Alipay+ itself (no selection screen): the payment enters IN_PROGRESS in the
   * transaction that creates it.
   */
  directToAlipay?: boolean;
}

export type CreateResult = { kind: 'created'; payment: Payment } | { kind: 'duplicate' };

/** Where the shopper's browser goes next. */
export type ShopperOutcome =
  | { kind: 'redirect'; url: string }
  | { kind: 'final'; payment: Payment }
  | { kind: 'pending'; payment: Payment }
  | { kind: 'unavailable'; payment: Payment }
  | { kind: 'selection'; payment: Payment }
  | { kind: 'notFound' };

/**
 * The shopper's flow: the payment is created from the purchase request, enters IN_PROGRESS when the
 * shopper chooses Alipay+, `pay` is sent, and the state is settled when the shopper comes back or
 * gives up. It records locally first and calls Alipay+ after commit; unknown outcomes stay pending
 * and are resolved by re-send or inquiry, never guessed (ARCHITECTURE.md).
 */
export class ShopperFlow {
  constructor(
    private readonly deps: PaymentServiceDeps,
    private readonly results: ProviderResults,
    private readonly cancels: CancelProtocol,
  ) {}

  async createPayment(input: NewPaymentInput): Promise<CreateResult> {
    const { db, clock, ids } = this.deps;
    const now = clock.now();
    const build = (): PaymentRow => ({
      tracking_id: ids.trackingId(),
      token: ids.token(),
      transaction_id: ids.transactionId(),
      merchant_id: input.merchantId,
      service_id: input.serviceId,
      order_id: input.orderId,
      status: 'REQUESTED',
      amount: input.amount,
      cust_code: input.custCode,
      item_id: input.itemId,
      item_name: input.itemName,
      request_fields: JSON.stringify(input.requestFields),
      details: JSON.stringify(input.details),
      free_csv: input.freeCsv,
      charset: input.charset,
      terminal_type: input.terminal,
      os_type: input.osType,
      user_agent: input.userAgent,
      client_ip: input.clientIp,
      received_at: now.getTime(),
      updated_at: now.getTime(),
      in_progress_at: null,
      deadline_at: null,
      payment_request_id: null,
      pay_outcome: null,
      redirect_url: null,
      alipay_payment_id: null,
      wallet: null,
      paid_at: null,
      cancel_requested_at: null,
      cancel_target: null,
      result_code: null,
      quote_currency_pair: null,
      quote_price: null,
      acquirer_id: null,
      refunded_amount: 0,
      refund_reserved_amount: 0,
    });
    // A unique violation is either the order id used concurrently (5107) or, astronomically
    // rarely, a random id colliding: one retry with fresh ids tells them apart.
    for (let attempt = 0; attempt < 2; attempt++) {
      const payment = build();
      try {
        const created = await db.transaction().execute(async (tx) => {
          await insertPayment(tx, payment);
          // Sent straight on: no selection screen can idle, so its expiry is not queued.
          if (input.directToAlipay) {
            const moved = await this.enterInProgress(tx, payment.tracking_id, now);
            return moved && { ...payment, ...moved, status: 'IN_PROGRESS' as const };
          }
          await enqueueJob(
            tx,
            {
              kind: JOB_EXPIRE_SELECTION,
              payload: { trackingId: payment.tracking_id },
              dueAt: new Date(now.getTime() + SELECTION_LIFETIME_MS),
              dedupeKey: jobKey.expireSelection(payment.tracking_id),
            },
            now,
          );
          return payment;
        });
        if (!created) throw new Error(`payment ${payment.tracking_id} left REQUESTED while being created`);
        return { kind: 'created', payment: toPayment(created) };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    return { kind: 'duplicate' };
  }

  findByToken(token: string): Promise<Payment | undefined> {
    return findPaymentByToken(this.deps.db, token);
  }

  /**
   * The shopper chose Alipay+: the payment enters IN_PROGRESS (the 10-minute deadline starts and
   * its job is written) before `pay` is sent, so a `pay` that times out is never forgotten.
   */
  async startAlipay(token: string, service?: ServiceWithMerchant): Promise<ShopperOutcome> {
    const payment = await findPaymentByToken(this.deps.db, token);
    if (!payment) return { kind: 'notFound' };
    return this.continueToAlipay(payment, service);
  }

  /**
   * `startAlipay` for a payment the caller has just read or created (an A01-1 that chose Alipay+
   * itself). `service`: the payment's service as the caller read it in this request, so `pay` is
   * sent without reading it again.
   */
  async continueToAlipay(read: Payment, service?: ServiceWithMerchant): Promise<ShopperOutcome> {
    const { db, clock } = this.deps;
    let payment = read;
    if (payment.status === 'REQUESTED') {
      const trackingId = payment.tracking_id;
      await db.transaction().execute((tx) => this.enterInProgress(tx, trackingId, clock.now()));
      // Whoever won a concurrent click, the payment is now IN_PROGRESS with one request id.
      payment = await this.reload(payment);
    }
    if (payment.status !== 'IN_PROGRESS') return this.shopperView(payment);
    // Never back to a cashier that is being closed; after the deadline `pay` is never re-sent
    // (payment-lifecycle.md, Clocks).
    if (payment.cancel.kind === 'REQUESTED' || this.pastDeadline(payment)) {
      return { kind: 'pending', payment };
    }
    if (payment.pay_outcome === 'CREATED' && payment.redirect_url) {
      return { kind: 'redirect', url: payment.redirect_url };
    }
    return this.sendPay(payment, service);
  }

  /**
   * The move to IN_PROGRESS, in the caller's transaction: the payment gets its Alipay+ request id
   * and its deadline, whose job is written with it. Returns the columns it set, or undefined when
   * another writer moved the payment first.
   */
  private async enterInProgress(tx: Db, trackingId: string, now: Date) {
    const deadline = new Date(now.getTime() + PAYMENT_DEADLINE_MS);
    const set = {
      payment_request_id: this.deps.ids.requestId('KSP'),
      in_progress_at: now.getTime(),
      deadline_at: deadline.getTime(),
      updated_at: now.getTime(),
    };
    const moved = await recordTransition(tx, {
      trackingId,
      from: 'REQUESTED',
      to: 'IN_PROGRESS',
      cause: 'shopper chose Alipay+',
      now,
      set,
    });
    if (!moved) return undefined;
    await enqueueJob(
      tx,
      {
        kind: JOB_DEADLINE,
        payload: { trackingId },
        dueAt: new Date(deadline.getTime() + DEADLINE_GRACE_MS),
        dedupeKey: jobKey.deadline(trackingId),
      },
      now,
    );
    return set;
  }

  private pastDeadline(payment: InProgressPayment): boolean {
    return this.deps.clock.now().getTime() >= payment.deadline_at;
  }

  private async sendPay(payment: InProgressPayment, service?: ServiceWithMerchant): Promise<ShopperOutcome> {
    const found = service ?? (await this.deps.findService(payment.merchant_id, payment.service_id));
    if (!found) throw new Error(`service of payment ${payment.tracking_id} vanished`);
    const { merchant } = found;
    const base = this.deps.gatewayPublicUrl;
    const command = {
      paymentRequestId: payment.payment_request_id,
      amount: payment.amount,
      expiresAt: new Date(payment.deadline_at),
      notifyUrl: `${base}/alipayplus/notifyPayment`,
      redirectUrl: `${base}/f01/payments/${payment.token}/return`,
      trackingId: payment.tracking_id,
      description: payment.item_name || payment.item_id,
      merchant: {
        merchantId: merchant.merchant_id,
        mcc: merchant.mcc,
        name: merchant.name,
        displayName: merchant.display_name,
        city: merchant.city,
        region: merchant.region,
        registeredOn: merchant.registered_on,
      },
      buyerId: payment.cust_code,
      allowedSubBrands: found.approvedWallets,
      terminal: payment.terminal_type,
      osType: payment.os_type,
      userAgent: payment.user_agent,
      clientIp: payment.client_ip,
    };
    for (let send = 1; send <= PAY_SENDS && !this.pastDeadline(payment); send++) {
      const { outcome, exchange } = await this.deps.provider.pay(command);
      // The exchange is kept in the transaction of what it decided.
      const kept = { trackingId: payment.tracking_id, exchange, outcome: outcome.kind };
      if (outcome.kind === 'created') {
        await this.deps.db.transaction().execute(async (tx) => {
          await keepExchangeIn(tx, this.deps, kept);
          await recordPayOutcome(
            tx,
            payment.tracking_id,
            {
              pay_outcome: 'CREATED',
              redirect_url: outcome.redirectUrl,
              alipay_payment_id: outcome.providerPaymentId,
            },
            this.deps.clock.now(),
          );
        });
        return { kind: 'redirect', url: outcome.redirectUrl };
      }
      if (outcome.kind === 'failed') {
        // ORDER_IS_CLOSED at any time means closed unpaid (payment-lifecycle.md, Clocks).
        await applyEnding(
          this.deps,
          payment,
          outcome.code === 'ORDER_IS_CLOSED'
            ? closedEnding(payment, 'pay: order closed at Alipay+', outcome.code)
            : failedEnding('pay refused by Alipay+', outcome.code),
          kept,
        );
        return this.shopperView(await this.reload(payment));
      }
      await keepExchangeIn(this.deps.db, this.deps, kept);
      this.deps.logger.warn(
        { trackingId: payment.tracking_id, send, reason: outcome.reason },
        'pay outcome unknown',
      );
    }
    // Still unknown after the re-sends: ask Alipay+ what it knows.
    const settled = await this.inquireAndApply(payment, 'inquiry after unanswered pay');
    if (settled.kind === 'final') return settled;
    await recordPayOutcome(
      this.deps.db,
      payment.tracking_id,
      { pay_outcome: 'UNKNOWN' },
      this.deps.clock.now(),
    );
    const latest = await this.reload(payment);
    if (latest.pay_outcome === 'CREATED' && latest.redirect_url)
      return { kind: 'redirect', url: latest.redirect_url };
    return { kind: 'unavailable', payment: latest };
  }

  /**
   * The shopper is back from Alipay+: settle the state from our own record, then by one brief
   * inquiry if still open.
   */
  async settleOnReturn(token: string): Promise<ShopperOutcome> {
    const payment = await findPaymentByToken(this.deps.db, token);
    if (!payment) return { kind: 'notFound' };
    if (payment.status !== 'IN_PROGRESS' || payment.cancel.kind === 'REQUESTED') {
      return this.shopperView(payment);
    }
    return this.inquireAndApply(payment, 'inquiry on return');
  }

  /** "Return to shop" on the selection screen, or "cancel and return" on the confirming page. */
  async cancelByShopper(token: string): Promise<ShopperOutcome> {
    const payment = await findPaymentByToken(this.deps.db, token);
    if (!payment) return { kind: 'notFound' };
    if (payment.status === 'REQUESTED') {
      await applyEnding(this.deps, payment, unsentEnding('CANCELED', 'shopper returned to the shop'));
    } else if (payment.status === 'IN_PROGRESS') {
      await this.cancels.requestByShopper(payment);
    } else {
      return this.shopperView(payment);
    }
    return this.shopperView(await this.reload(payment));
  }

  private async inquireAndApply(payment: InProgressPayment, cause: string): Promise<ShopperOutcome> {
    await this.results.inquireAndApply(payment, cause);
    return this.shopperView(await this.reload(payment));
  }

  private reload(payment: Payment): Promise<Payment> {
    return reloadPayment(this.deps, payment);
  }

  private shopperView(payment: Payment): ShopperOutcome {
    switch (payment.status) {
      case 'REQUESTED':
        return { kind: 'selection', payment };
      case 'IN_PROGRESS':
        return { kind: 'pending', payment };
      default:
        return { kind: 'final', payment };
    }
  }
}
