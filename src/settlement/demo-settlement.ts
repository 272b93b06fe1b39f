import type { Kysely } from 'kysely';
import { seedPayments } from '../admin/demo-data';
import type { DialectName } from '../db/connection';
import type { Database } from '../db/database';
import { jstDate, jstDateStartIso, startOfJstDay } from '../kernel/jst';
import { DEMO_MERCHANT_ID, DEMO_SERVICE_ID } from '../merchants/demo-seed';
import { addServiceFee } from './fee.repository';
import { bankAccountOf, setBankAccount } from './payout.repository';

/**
 * A settled cycle for the demo: on a fresh demo database the demo merchant gets a bank account,
 * a 3.25 % fee from its registration date, and last month's payments (some refunded), so the
 * start-up close issues a statement with a payout at once.
 */
const DEMO_PAYMENTS = 60;

export async function seedDemoSettlement(
  db: Kysely<Database>,
  dialect: DialectName,
  now: Date,
): Promise<void> {
  if (await bankAccountOf(db, DEMO_MERCHANT_ID)) return;
  const registered = new Date(jstDateStartIso('2026-01-01'));
  const fees = await db
    .selectFrom('service_fees')
    .select('id')
    .where('merchant_id', '=', DEMO_MERCHANT_ID)
    .executeTakeFirst();
  if (!fees) {
    // Set as if on the registration day, so last month's captures carry the fee.
    await addServiceFee(
      db,
      {
        merchantId: DEMO_MERCHANT_ID,
        serviceId: DEMO_SERVICE_ID,
        effectiveFrom: '2026-01-01',
        rateBps: 325,
        fixedFee: 0,
        createdBy: 'demo',
      },
      registered,
    );
  }
  await seedPayments(db, dialect, {
    count: DEMO_PAYMENTS,
    merchantId: DEMO_MERCHANT_ID,
    serviceId: DEMO_SERVICE_ID,
    now: thisJstMonthStart(now),
    days: 28,
  });
  await setBankAccount(
    db,
    DEMO_MERCHANT_ID,
    {
      bankCode: '0001',
      bankName: 'ミズホ',
      branchCode: '001',
      branchName: 'トウキョウ',
      accountType: 'ORDINARY',
      accountNumber: '1234567',
      holderName: 'カ）ケッサイデモショップ',
    },
    now,
  );
}

/** 00:00 JST on the 1st of the JST month `now` falls in. */
function thisJstMonthStart(now: Date): Date {
  return startOfJstDay(now, 1 - Number(jstDate(now).slice(8, 10)));
}
