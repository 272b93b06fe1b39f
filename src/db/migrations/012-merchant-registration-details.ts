import { type Kysely, sql } from 'kysely';

/**
 * What Alipay+ merchant registration asks of the merchant beyond its name, MCC and city
 * (governance.md §1): the street address (`merchantAddress.address1`), the postcode (`zipCode`) and
 * the corporate number (法人番号, `registrationDetail.registrationNumber`). Empty when not known
 * (a sole proprietor has no corporate number): the registration then leaves the field out.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of ['address1', 'zip_code', 'registration_number']) {
    await db.schema
      .alterTable('merchants')
      .addColumn(column, 'text', (c) => c.notNull().defaultTo(''))
      .execute();
  }
  await backfillDemoRegistration(db);
}

/**
 * The demo merchant's made-up values (merchants/demo-seed.ts), for an install seeded before this
 * migration; a new install is seeded after it, with them. Only the demo shop itself, by its id and
 * name, and only columns still empty.
 */
export async function backfillDemoRegistration(db: Kysely<unknown>): Promise<void> {
  await sql`
    update merchants
    set address1 = '1-2-3 Marunouchi, Chiyoda-ku', zip_code = '100-0005', registration_number = '4010001234567'
    where merchant_id = '30000' and name = 'Kessai Demo Shop'
      and address1 = '' and zip_code = '' and registration_number = ''
  `.execute(db);
}
