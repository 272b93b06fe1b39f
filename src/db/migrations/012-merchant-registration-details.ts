import type { Kysely } from 'kysely';

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
}
