import type { Kysely } from 'kysely';
import type { Database, Db, PaymentRow, RefundRow } from '../db/database';
import { findPaymentByTrackingId } from '../payments/payment.repository';
import type { InquiryWithTransactions, WithExchange } from '../payments/payment-provider';
import { listRefundsOf } from '../refunds/refund.repository';
import { type Comparison, comparePayment, type Discrepancy, isSettledAtGateway } from './reconcile-rules';

/**
 * Reconciliation: every payment received in the window, or refunded in it, is compared with
 * Alipay+'s view through `inquiryPayment` — the one API that tells the whole story of a payment —
 * so it works unchanged against the real Alipay+. It reads the gateway's database and writes
 * nothing.
 */
export interface PaymentLedger {
  inquireWithTransactions(paymentRequestId: string): Promise<WithExchange<InquiryWithTransactions>>;
}

export interface ReconcileOptions {
  db: Kysely<Database>;
  ledger: PaymentLedger;
  since: Date;
  /** How many inquiries are in flight at once (Alipay+ limits the traffic of each client). */
  concurrency: number;
  /** How many times a payment is looked at before an unreadable answer counts as unverified. */
  attempts?: number;
  retryDelayMs?: number;
  onStart?(total: number): void;
  onPaymentDone?(): void;
}

export interface ReconcileReport {
  since: Date;
  /** Payments in the window. */
  payments: number;
  /** Of those, the ones asked about (a payment never sent to Alipay+ has nothing to compare). */
  inquired: number;
  /** Still on their way (the job worker finishes them): not compared. */
  pending: number;
  discrepancies: Discrepancy[];
}

type Outcome = Comparison | { kind: 'neverSent' };

export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const { db, since } = options;
  const trackingIds = await paymentsInWindow(db, since);
  options.onStart?.(trackingIds.length);
  const outcomes: Outcome[] = new Array(trackingIds.length);
  let inquired = 0;
  await forEachBounded(trackingIds, options.concurrency, async (trackingId, index) => {
    const outcome = await reconcileOne(options, trackingId, () => inquired++);
    outcomes[index] = outcome;
    options.onPaymentDone?.();
  });
  return {
    since,
    payments: trackingIds.length,
    inquired,
    pending: outcomes.filter((o) => o.kind === 'pending').length,
    discrepancies: outcomes.flatMap((o) => (o.kind === 'differs' ? o.discrepancies : [])),
  };
}

async function paymentsInWindow(db: Db, since: Date): Promise<string[]> {
  const from = since.getTime();
  const rows = await db
    .selectFrom('payments')
    .select(['tracking_id', 'received_at'])
    .where((eb) =>
      eb.or([
        eb('received_at', '>=', from),
        eb(
          'tracking_id',
          'in',
          eb.selectFrom('refunds').select('tracking_id').where('created_at', '>=', from),
        ),
      ]),
    )
    .orderBy('received_at')
    .orderBy('tracking_id')
    .execute();
  return rows.map((r) => r.tracking_id);
}

interface GatewaySide {
  payment: PaymentRow;
  refunds: RefundRow[];
}

async function readGatewaySide(db: Db, trackingId: string): Promise<GatewaySide> {
  const payment = await findPaymentByTrackingId(db, trackingId);
  if (!payment) throw new Error(`payment ${trackingId} disappeared while reconciling`);
  return { payment, refunds: await listRefundsOf(db, trackingId) };
}

/** What moves when the gateway changes a payment or its refunds. */
function fingerprint({ payment, refunds }: GatewaySide): string {
  return JSON.stringify([
    payment.status,
    payment.updated_at,
    payment.refunded_amount,
    payment.refund_reserved_amount,
    refunds.map((r) => [r.refund_request_id, r.status]),
  ]);
}

/**
 * The gateway records a refund or a cancel before it calls Alipay+, and a capture after Alipay+
 * has paid. So when the gateway's rows are the same before and after the inquiry, the two views
 * are of the same moment; when they moved (a live gateway), the payment is looked at again.
 */
async function reconcileOne(
  options: ReconcileOptions,
  trackingId: string,
  counted: () => void,
): Promise<Outcome> {
  const attempts = options.attempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    const before = await readGatewaySide(options.db, trackingId);
    const { payment } = before;
    if (payment.payment_request_id === null) return { kind: 'neverSent' };
    if (!isSettledAtGateway(payment.status)) return { kind: 'pending' };
    const paymentRequestId = payment.payment_request_id;
    const { outcome: view } = await options.ledger.inquireWithTransactions(paymentRequestId);
    if (attempt === 1) counted();
    const stable = fingerprint(before) === fingerprint(await readGatewaySide(options.db, trackingId));
    const last = attempt >= attempts;
    if (stable && (view.outcome.kind !== 'unknown' || last)) {
      return comparePayment({ ...payment, payment_request_id: paymentRequestId }, before.refunds, view);
    }
    if (last) return { kind: 'pending' };
    await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
  }
}

async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}
