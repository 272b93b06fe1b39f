import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { writeAudit } from '../admin/audit.repository';
import type { Database } from '../db/database';
import { DomainError } from '../kernel/errors';
import { MAX_NOTE_LENGTH, type ResolveActor } from './discrepancy.repository';
import { ACCOUNTS, postEntry } from './ledger.repository';

/**
 * An operator's adjustment (settlement.md, A settlement received, and the suspense account): one
 * balanced `ADJUSTMENT` entry moving yen between two of our own accounts, with a note, audited in
 * the same transaction. It is how a difference held in `settlement_suspense` is cleared once its
 * discrepancy is understood — Alipay+ paid back, an overpayment returned, a fee written off.
 * Merchants' payables, fee revenue and payout clearing are not adjustable: they follow from
 * payments, refunds, statements and payouts, and `kessai ledger check` proves them against those.
 */
export const ADJUSTABLE_ACCOUNTS: readonly string[] = [
  ACCOUNTS.settlementSuspense,
  ACCOUNTS.bank,
  ACCOUNTS.alipayplusFees,
  ACCOUNTS.alipayplusReceivable,
  ACCOUNTS.refundClearing,
];

export interface Adjustment {
  debit: string;
  credit: string;
  amount: number;
  note: string;
}

function invalid(message: string): never {
  throw new DomainError('INVALID_ADJUSTMENT', message);
}

/** Posts the adjustment and its audit in one transaction; anything invalid is refused first. */
export async function postAdjustment(
  db: Kysely<Database>,
  adjustment: Adjustment,
  actor: ResolveActor,
  now: Date,
): Promise<number> {
  const { debit, credit, amount } = adjustment;
  const note = adjustment.note.trim();
  for (const account of [debit, credit]) {
    if (!ADJUSTABLE_ACCOUNTS.includes(account)) {
      invalid(`"${account}" cannot be adjusted: one of ${ADJUSTABLE_ACCOUNTS.join(', ')}`);
    }
  }
  if (debit === credit)
    invalid(`debit and credit are both ${debit}: an adjustment moves yen between two accounts`);
  if (!Number.isSafeInteger(amount) || amount < 1)
    invalid(`the amount must be a positive whole yen amount (got ${amount})`);
  if (note.length === 0 || note.length > MAX_NOTE_LENGTH) {
    invalid(`a note of 1–${MAX_NOTE_LENGTH} characters saying why is required`);
  }
  return db.transaction().execute(async (tx) => {
    const entryId = await postEntry(tx, {
      kind: 'ADJUSTMENT',
      sourceKey: `adjustment:${randomUUID()}`,
      merchantId: null,
      memo: note,
      lines: [
        { account: debit, amount },
        { account: credit, amount: -amount },
      ],
      at: now,
    });
    await writeAudit(tx, {
      at: now,
      ...actor,
      merchantId: null,
      action: 'ledger.adjust',
      target: `entry ${entryId}`,
      detail: { debit, credit, amount, note },
    });
    return entryId;
  });
}
