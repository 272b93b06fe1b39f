import { randomBytes } from 'node:crypto';
import type { Db, ServiceRow } from '../db/database';
import { hexDigestsEqual, sha256Hex } from '../kernel/hashing';

/**
 * The XML API password of a service (merchant-xml-api.md, Transport): a high-entropy secret the
 * gateway generates and shows once, stored only as its SHA-256 digest. A fast digest is enough —
 * the secret is random, not chosen by a person — and it keeps every API call cheap, where a slow
 * password hash would cost milliseconds of CPU each time.
 */

/** 24 random bytes = 192 bits, as 32 URL-safe characters (no quoting needed in a Basic header). */
export function generateApiPassword(): string {
  return randomBytes(24).toString('base64url');
}

export function apiPasswordDigest(password: string): string {
  return sha256Hex(Buffer.from(password, 'utf8'));
}

/** Replaces the service's API password (rotation is just setting a new one). */
export async function setApiPassword(
  db: Db,
  merchantId: string,
  serviceId: string,
  password: string,
): Promise<void> {
  const result = await db
    .updateTable('services')
    .set({ api_password_digest: apiPasswordDigest(password) })
    .where('merchant_id', '=', merchantId)
    .where('service_id', '=', serviceId)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) {
    throw new Error(`no service ${serviceId} of merchant ${merchantId}`);
  }
}

/** Generates a new API password, stores its digest and returns the secret — the only time it is seen. */
export async function issueApiPassword(db: Db, merchantId: string, serviceId: string): Promise<string> {
  const password = generateApiPassword();
  await setApiPassword(db, merchantId, serviceId, password);
  return password;
}

/** Stands in for a missing digest so that an unknown user costs the same work as a known one. */
const NO_DIGEST = apiPasswordDigest('');

/**
 * Whether `password` is the service's API password — or its hash key, when the service's
 * compatibility switch says so (the protocol originator's public test environment works that way).
 * Both comparisons always run, over digests of equal length, so the time says nothing.
 */
export function verifyApiPassword(
  service: Pick<ServiceRow, 'api_password_digest' | 'api_password_is_hash_key' | 'hash_key'> | undefined,
  password: string,
): boolean {
  const presented = apiPasswordDigest(password);
  const stored = service?.api_password_digest ?? null;
  const matchesPassword = hexDigestsEqual(presented, stored ?? NO_DIGEST) && stored !== null;
  const matchesHashKey =
    hexDigestsEqual(presented, apiPasswordDigest(service?.hash_key ?? '')) &&
    service?.api_password_is_hash_key === 1 &&
    service.hash_key !== '';
  return matchesPassword || matchesHashKey;
}
