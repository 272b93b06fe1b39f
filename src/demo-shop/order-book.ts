import type { Yen } from '../kernel/money';

/**
 * The demo shop's orders, in memory: a restart forgets them (the orders page says so). A real shop
 * keeps them in its database and fulfils from the A02-1 notification only (merchant-link-type.md,
 * A03-1: "fulfil orders from A02-1 only").
 */
export interface ShopOrder {
  orderId: string;
  itemId: string;
  itemName: string;
  amount: Yen;
  skipSelection: boolean;
  placedAt: Date;
}

export interface ReceivedNotification {
  fields: Record<string, string>;
  at: Date;
}

/**
 * One refund the shop asked for through the XML API (ST02-00306-510). The request is kept as sent,
 * so that after `AC` or no answer the shop repeats the identical request (same `request_date`) —
 * never a re-stamped one, which would be a second refund (merchant-xml-api.md, Replays).
 */
export interface RefundAttempt {
  /** Empty = full refund. */
  amount: string;
  requestDate: string;
  /** `OK`, `AC` or `NG` from the gateway; `null` when no answer came. */
  result: string | null;
  errCode: string;
  transactionId: string;
  refundAmount: string;
  remaining: string;
  problem: string | null;
  at: Date;
}

/** An order's payment as the gateway reports it to an inquiry (MG01-00101-510). */
export interface PaymentAtGateway {
  /** `payment_status`: `2` captured, `4` refunded, `5` partially refunded, … */
  paymentStatus: string;
  refundedAmount: number;
  /** Every refund, from any channel (the shop's buttons, the console). */
  refunds: ReadonlyArray<{ amount: number; status: string; processDate: string }>;
}

/** What the shop knows of an order's outcome, from the latest A02-1 (`res_result`). */
export type OrderState = 'awaiting' | 'paid' | 'failed' | 'not-paid';

const STATE_BY_RESULT: Record<string, OrderState> = { OK: 'paid', NG: 'failed', CN: 'not-paid' };

export interface OrderView {
  orderId: string;
  /** `undefined` for an order this process did not place (it was placed before a restart). */
  order: ShopOrder | undefined;
  notifications: readonly ReceivedNotification[];
  state: OrderState;
  trackingId: string | undefined;
  refunds: readonly RefundAttempt[];
}

export class OrderBook {
  private readonly orders = new Map<string, ShopOrder>();
  private readonly notifications = new Map<string, ReceivedNotification[]>();
  private readonly refunds = new Map<string, RefundAttempt[]>();

  place(order: ShopOrder): void {
    this.orders.set(order.orderId, order);
  }

  get(orderId: string): ShopOrder | undefined {
    return this.orders.get(orderId);
  }

  /** Repeats of the same notification are normal (A02-1 retries); every one is kept. */
  recordNotification(orderId: string, notification: ReceivedNotification): void {
    const list = this.notifications.get(orderId);
    if (list) list.push(notification);
    else this.notifications.set(orderId, [notification]);
  }

  /** Records a new refund request, or the latest answer to the same one (index `replaces`). */
  recordRefund(orderId: string, attempt: RefundAttempt, replaces?: number): void {
    const list = this.refunds.get(orderId) ?? [];
    if (replaces !== undefined && list[replaces]) list[replaces] = attempt;
    else list.push(attempt);
    this.refunds.set(orderId, list);
  }

  view(orderId: string): OrderView {
    const notifications = this.notifications.get(orderId) ?? [];
    const latest = notifications.at(-1)?.fields;
    return {
      orderId,
      order: this.orders.get(orderId),
      notifications,
      state: (latest && STATE_BY_RESULT[latest.res_result ?? '']) ?? 'awaiting',
      trackingId: latest?.res_tracking_id || undefined,
      refunds: this.refunds.get(orderId) ?? [],
    };
  }

  /** Every order placed or notified, newest first. */
  list(): OrderView[] {
    const ids = new Set([...this.orders.keys(), ...this.notifications.keys()]);
    const views = [...ids].map((id) => this.view(id));
    const time = (v: OrderView) => (v.order?.placedAt ?? v.notifications[0]?.at ?? new Date(0)).getTime();
    return views.sort((a, b) => time(b) - time(a));
  }
}
