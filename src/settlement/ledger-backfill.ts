import { type Kysely, sql } from 'kysely';
import type { Database, Db } from '../db/database';
import { jstDate } from '../kernel/jst';
import { CAPTURED_STATUSES } from '../payments/payment-states';
import { NO_FEE } from './fee.repository';
import type { FeeRate } from './fee-rule';
import { type NewEntry, postEntries } from './ledger.repository';
import { captureEntry, refundEntry } from './ledger-postings';

const BATCH = 2_000;

interface FeeSetting extends FeeRate {
  merchantId: string;
  serviceId: string;
  effectiveFrom: string;
}

/** The setting in force on a day: the latest effective date ≤ day, the last recorded for it. */
function rateOn(
  settings: readonly FeeSetting[],
  merchantId: string,
  serviceId: string,
  day: string,
): FeeRate {
  let found: FeeRate = NO_FEE;
  for (const s of settings) {
    if (s.merchantId === merchantId && s.serviceId === serviceId && s.effectiveFrom <= day) found = s;
  }
  return found;
}

/**
 * Books the captures and succeeded refunds of payments that have no ledger entry at all — those
 * recorded before the ledger existed, or loaded in bulk (`kessai demo-data`) — exactly as the
 * hooks would have at the time, in batches of multi-row inserts. Returns how many payments it
 * booked; run again, it books none.
 */
export async function backfillLedger(db: Db): Promise<number> {
  const settings: FeeSetting[] = (
    await db
      .selectFrom('service_fees')
      .select(['merchant_id', 'service_id', 'effective_from', 'rate_bps', 'fixed_fee'])
      .orderBy('effective_from')
      .orderBy('id')
      .execute()
  ).map((r) => ({
    merchantId: r.merchant_id,
    serviceId: r.service_id,
    effectiveFrom: r.effective_from,
    rateBps: r.rate_bps,
    fixedFee: r.fixed_fee,
  }));
  let booked = 0;
  for (let after = ''; ; ) {
    const payments = await db
      .selectFrom('payments as p')
      .select(['p.tracking_id', 'p.merchant_id', 'p.service_id', 'p.amount', 'p.paid_at', 'p.updated_at'])
      .where('p.status', 'in', CAPTURED_STATUSES)
      .where('p.tracking_id', '>', after)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('ledger_entries as e')
              .select(sql`1`.as('one'))
              .whereRef('e.tracking_id', '=', 'p.tracking_id'),
          ),
        ),
      )
      .orderBy('p.tracking_id')
      .limit(BATCH)
      .execute();
    const last = payments.at(-1);
    if (!last) return booked;
    const refunds = await db
      .selectFrom('refunds')
      .select(['refund_id', 'tracking_id', 'amount', 'completed_at', 'updated_at'])
      .where('status', '=', 'SUCCEEDED')
      .where(
        'tracking_id',
        'in',
        payments.map((p) => p.tracking_id),
      )
      .orderBy('tracking_id')
      .orderBy('completed_at')
      .orderBy('refund_id')
      .execute();
    const refundsOf = new Map<string, typeof refunds>();
    for (const r of refunds) {
      const list = refundsOf.get(r.tracking_id);
      if (list) list.push(r);
      else refundsOf.set(r.tracking_id, [r]);
    }
    const entries: NewEntry[] = [];
    for (const p of payments) {
      const capturedAt = new Date(Number(p.paid_at ?? p.updated_at));
      const rate = rateOn(settings, p.merchant_id, p.service_id, jstDate(capturedAt));
      const capture = captureEntry(
        { trackingId: p.tracking_id, merchantId: p.merchant_id, amount: p.amount },
        rate,
        capturedAt,
      );
      entries.push(capture.entry);
      const feeCharged = capture.fee;
      let refundedBefore = 0;
      let feeReturnedBefore = 0;
      for (const r of refundsOf.get(p.tracking_id) ?? []) {
        const { entry, feeReturned } = refundEntry(
          {
            refundId: r.refund_id,
            trackingId: p.tracking_id,
            merchantId: p.merchant_id,
            amount: r.amount,
            paymentAmount: p.amount,
            refundedBefore,
            feeCharged,
            feeReturnedBefore,
          },
          new Date(Number(r.completed_at ?? r.updated_at)),
        );
        entries.push(entry);
        refundedBefore += r.amount;
        feeReturnedBefore += feeReturned;
      }
    }
    // Each batch whole or not at all (the migration already runs in a transaction of its own).
    if (db.isTransaction) await postEntries(db, entries);
    else await (db as Kysely<Database>).transaction().execute((tx) => postEntries(tx, entries));
    booked += payments.length;
    after = last.tracking_id;
  }
}
