import { CompiledQueries, columnsOf, compiledQuery } from '../db/compiled-queries';
import type { Db, NewPayment, PaymentRow, PaymentTable } from '../db/database';
import { type Yen, yen } from '../kernel/money';
import type { ProviderExchange } from './payment-provider';
import { type CancelState, type CancelTarget, cancelStateOf, type PaymentStatus } from './payment-states';

interface PaymentFields
  extends Omit<
    PaymentRow,
    'status' | 'amount' | 'refunded_amount' | 'refund_reserved_amount' | 'payment_request_id' | 'deadline_at'
  > {
  amount: Yen;
  refunded_amount: Yen;
  refund_reserved_amount: Yen;
  /** The cancel sub-state (cancel wins), read from `cancel_requested_at` and `cancel_target`. */
  cancel: CancelState;
}

/** From IN_PROGRESS on a payment has its one Alipay+ request and its deadline. */
export type InProgressPayment = PaymentFields & {
  status: 'IN_PROGRESS';
  payment_request_id: string;
  deadline_at: number;
};

/**
 * A payment as the domain reads it: the row with its amounts checked as yen, its cancel sub-state
 * named, and, while IN_PROGRESS, the Alipay+ request it is known to have. Rows become payments
 * only through `toPayment`, so nothing downstream casts or asserts.
 */
export type Payment =
  | InProgressPayment
  | (PaymentFields & {
      status: Exclude<PaymentStatus, 'IN_PROGRESS'>;
      payment_request_id: string | null;
      deadline_at: number | null;
    });

export function toPayment(row: PaymentRow): Payment {
  const fields = {
    ...row,
    amount: yen(row.amount),
    refunded_amount: yen(row.refunded_amount),
    refund_reserved_amount: yen(row.refund_reserved_amount),
    cancel: cancelStateOf(row),
  };
  if (row.status !== 'IN_PROGRESS') return { ...fields, status: row.status };
  // The move to IN_PROGRESS sets both in the same statement (shopper-flow.ts, startAlipay).
  if (row.payment_request_id === null || row.deadline_at === null) {
    throw new Error(`payment ${row.tracking_id} is IN_PROGRESS without its Alipay+ request`);
  }
  return {
    ...fields,
    status: 'IN_PROGRESS',
    payment_request_id: row.payment_request_id,
    deadline_at: row.deadline_at,
  };
}

function mapped(row: PaymentRow | undefined): Payment | undefined {
  return row === undefined ? undefined : toPayment(row);
}

/** The statements whose shape varies with the columns given (`insertPayment`, `recordPayOutcome`). */
const queries = new CompiledQueries();

/**
 * Payments in the database. Status changes go through `recordTransition` (record-transition.ts);
 * the updates here touch only what a status change does not: the cancel mark and `pay`'s answer.
 */
export async function insertPayment(db: Db, row: NewPayment): Promise<void> {
  const columns = columnsOf(row);
  await queries.run(
    db,
    `insertPayment ${columns.names}`,
    (arg) => db.insertInto('payments').values(columns.placeholders(arg)),
    columns.values,
  );
}

const byToken = compiledQuery((db: Db, arg) =>
  db.selectFrom('payments').selectAll().where('token', '=', arg(0)),
);
const byTrackingId = compiledQuery((db: Db, arg) =>
  db.selectFrom('payments').selectAll().where('tracking_id', '=', arg(0)),
);
const byRequestId = compiledQuery((db: Db, arg) =>
  db.selectFrom('payments').selectAll().where('payment_request_id', '=', arg(0)),
);
const byOrderId = compiledQuery((db: Db, arg) =>
  db
    .selectFrom('payments')
    .selectAll()
    .where('merchant_id', '=', arg(0))
    .where('service_id', '=', arg(1))
    .where('order_id', '=', arg(2)),
);

export async function findPaymentByToken(db: Db, token: string): Promise<Payment | undefined> {
  return mapped((await byToken(db, token)).rows[0]);
}

export async function findPaymentByTrackingId(db: Db, trackingId: string): Promise<Payment | undefined> {
  return mapped((await byTrackingId(db, trackingId)).rows[0]);
}

export async function findPaymentByRequestId(db: Db, paymentRequestId: string): Promise<Payment | undefined> {
  return mapped((await byRequestId(db, paymentRequestId)).rows[0]);
}

export async function findPaymentByOrderId(
  db: Db,
  merchantId: string,
  serviceId: string,
  orderId: string,
): Promise<Payment | undefined> {
  return mapped((await byOrderId(db, merchantId, serviceId, orderId)).rows[0]);
}

const cancelMark = compiledQuery((db: Db, arg) =>
  db
    .updateTable('payments')
    .set({ cancel_requested_at: arg(2), cancel_target: arg(1), updated_at: arg(2) })
    .where('tracking_id', '=', arg(0))
    .where('status', '=', 'IN_PROGRESS')
    .where('cancel_requested_at', 'is', null),
);

/** Sets the cancel mark if the payment is still open and unmarked; false otherwise. */
export async function markCancelRequested(
  db: Db,
  trackingId: string,
  target: CancelTarget,
  now: Date,
): Promise<boolean> {
  const result = await cancelMark(db, trackingId, target, now.getTime());
  return Number(result.numAffectedRows) === 1;
}

/**
 * Records what `pay` answered for a payment still IN_PROGRESS. A later "unknown" never replaces
 * "created": a concurrent click may have got the cashier URL meanwhile.
 */
export async function recordPayOutcome(
  db: Db,
  trackingId: string,
  values: Pick<PaymentTable, 'pay_outcome'> &
    Partial<Pick<PaymentTable, 'redirect_url' | 'alipay_payment_id'>>,
  now: Date,
): Promise<void> {
  const columns = columnsOf({ ...values, updated_at: now.getTime() });
  const keepsCreated = values.pay_outcome !== 'CREATED';
  const n = columns.values.length;
  // Matching no row is not an error here: the payment has ended meanwhile, and no money moves.
  await queries.run(
    db,
    `recordPayOutcome ${columns.names}${keepsCreated ? ' keeping CREATED' : ''}`,
    (arg) => {
      const update = db
        .updateTable('payments')
        .set(columns.placeholders(arg))
        .where('tracking_id', '=', arg(n))
        .where('status', '=', 'IN_PROGRESS');
      return keepsCreated
        ? update.where((eb) => eb.or([eb('pay_outcome', 'is', null), eb('pay_outcome', '!=', 'CREATED')]))
        : update;
    },
    [...columns.values, trackingId],
  );
}

const insertExchange = compiledQuery((db: Db, arg) =>
  db.insertInto('alipay_messages').values({
    tracking_id: arg(0),
    api: arg(1),
    request_body: arg(2),
    response_status: arg(3),
    response_body: arg(4),
    outcome: arg(5),
    at: arg(6),
    duration_ms: arg(7),
  }),
);

export async function recordExchange(
  db: Db,
  trackingId: string,
  exchange: ProviderExchange,
  outcome: string,
  now: Date,
): Promise<void> {
  await insertExchange(
    db,
    trackingId,
    exchange.api,
    exchange.requestBody,
    exchange.responseStatus,
    exchange.responseBody,
    outcome,
    now.getTime(),
    exchange.durationMs,
  );
}
