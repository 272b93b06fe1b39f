import type { Db } from '../../db/database';

/**
 * The `sps_hashcode` values of accepted inquiries, kept until their request's validity ends
 * (merchant-xml-api.md, Hash reuse across functions): the hash leaves the function id out, so an
 * intercepted MG01-00101-510 body with its id changed would be a valid full refund.
 */
export async function rememberInquiryHash(
  db: Db,
  entry: { merchantId: string; serviceId: string; hashcode: string; expiresAt: Date },
  now: Date,
): Promise<void> {
  // Expired entries of the same service go on the way in, through the lookup index.
  await db
    .deleteFrom('xml_inquiry_hashes')
    .where('merchant_id', '=', entry.merchantId)
    .where('service_id', '=', entry.serviceId)
    .where('expires_at', '<', now.getTime())
    .execute();
  await db
    .insertInto('xml_inquiry_hashes')
    .values({
      merchant_id: entry.merchantId,
      service_id: entry.serviceId,
      hashcode: entry.hashcode.toLowerCase(),
      expires_at: entry.expiresAt.getTime(),
    })
    .execute();
}

export async function isInquiryHash(
  db: Db,
  merchantId: string,
  serviceId: string,
  hashcode: string,
  now: Date,
): Promise<boolean> {
  const row = await db
    .selectFrom('xml_inquiry_hashes')
    .select('id')
    .where('merchant_id', '=', merchantId)
    .where('service_id', '=', serviceId)
    .where('hashcode', '=', hashcode.toLowerCase())
    .where('expires_at', '>=', now.getTime())
    .executeTakeFirst();
  return row !== undefined;
}
