import type { Kysely } from 'kysely';

/**
 * The acquirer Alipay+ names in a paid notification or inquiry (`acquirerId`, alipayplus.md,
 * notifyPayment), kept with the payment for reconciliation with Alipay+'s reports.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('payments').addColumn('acquirer_id', 'text').execute();
}
