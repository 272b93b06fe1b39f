import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../db/database';
import { apiPasswordDigest, issueApiPassword, setApiPassword } from './api-password';

/**
 * The demo merchant of configuration.md (Demo data): merchant 30000 "Kessai Demo Shop" with
 * service 001 (Shift_JIS, callback hosts localhost and 127.0.0.1). Its sub-brands are not seeded:
 * the demo registers them with Alipay+ (the sandbox) at first start (governance.md §1).
 * Idempotent; a generated hash key persists across restarts, and `KESSAI_DEMO_HASH_KEY` replaces
 * it at each start.
 */
export const DEMO_MERCHANT_ID = '30000';
export const DEMO_SERVICE_ID = '001';

export interface DemoSecrets {
  hashKey: string;
}

/** What `kessai start` prints for the demo service. */
export interface DemoCredentials extends DemoSecrets {
  apiPassword: string | null;
  /** The demo console users (operator, merchant admin, merchant viewer) and their passwords. */
  consoleUsers: Array<{ role: string; email: string; password: string }>;
}

export async function seedDemoData(
  db: Db,
  now: Date,
  configured: { hashKey?: string | undefined },
): Promise<DemoSecrets> {
  await db
    .insertInto('merchants')
    .values({
      merchant_id: DEMO_MERCHANT_ID,
      name: 'Kessai Demo Shop',
      display_name: 'Kessai デモショップ',
      mcc: '5999',
      city: 'Tokyo',
      region: 'JP',
      // Registration details (governance.md §1); a made-up corporate number with a valid check digit.
      address1: '1-2-3 Marunouchi, Chiyoda-ku',
      zip_code: '100-0005',
      registration_number: '4010001234567',
      registered_on: '2026-01-01',
      suspended: 0,
      created_at: now.getTime(),
    })
    .onConflict((oc) => oc.column('merchant_id').doNothing())
    .execute();
  await db
    .insertInto('services')
    .values({
      merchant_id: DEMO_MERCHANT_ID,
      service_id: DEMO_SERVICE_ID,
      display_name: 'Kessai Demo Shop',
      hash_key: configured.hashKey ?? randomBytes(20).toString('hex'),
      api_password_digest: null,
      encoding: 'Shift_JIS',
      url_hosts: JSON.stringify(['localhost', '127.0.0.1']),
      active: 1,
      maintenance: 0,
      created_at: now.getTime(),
    })
    .onConflict((oc) => oc.columns(['merchant_id', 'service_id']).doNothing())
    .execute();
  if (configured.hashKey) {
    await db
      .updateTable('services')
      .set({ hash_key: configured.hashKey })
      .where('merchant_id', '=', DEMO_MERCHANT_ID)
      .where('service_id', '=', DEMO_SERVICE_ID)
      .execute();
  }
  const service = await db
    .selectFrom('services')
    .select('hash_key')
    .where('merchant_id', '=', DEMO_MERCHANT_ID)
    .where('service_id', '=', DEMO_SERVICE_ID)
    .executeTakeFirstOrThrow();
  return { hashKey: service.hash_key };
}

/**
 * The demo service's XML API password, so the start-up banner can print it: from
 * `KESSAI_DEMO_API_PASSWORD` when set (replacing the stored one at each start), otherwise generated
 * once and kept in `<data dir>/demo-api-password` (mode 0600) beside the generated keys. `null`
 * when someone has since rotated it in the console (which shows the new one once).
 */
export async function demoApiPassword(
  db: Db,
  dataDir: string,
  configured: string | undefined,
): Promise<string | null> {
  if (configured) {
    await setApiPassword(db, DEMO_MERCHANT_ID, DEMO_SERVICE_ID, configured);
    return configured;
  }
  const current = await currentDemoApiPassword(db, dataDir, undefined);
  if (current !== null) return current;
  if ((await storedDigest(db)) !== null) return null;
  const password = await issueApiPassword(db, DEMO_MERCHANT_ID, DEMO_SERVICE_ID);
  keepDemoApiPassword(dataDir, password);
  return password;
}

/**
 * The demo service's API password as it is now — the configured one or the one kept in the data
 * folder, whichever the database still accepts — so that the demo shop follows a rotation by
 * `kessai api-password` without a restart. `null` when neither is current.
 */
export async function currentDemoApiPassword(
  db: Db,
  dataDir: string,
  configured: string | undefined,
): Promise<string | null> {
  const digest = await storedDigest(db);
  if (digest === null) return null;
  const file = join(dataDir, DEMO_API_PASSWORD_FILE);
  const kept = existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  return [configured, kept].find((p) => p !== undefined && apiPasswordDigest(p) === digest) ?? null;
}

/** Keeps the demo service's password in the data folder, readable by its owner only. */
export function keepDemoApiPassword(dataDir: string, password: string): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, DEMO_API_PASSWORD_FILE), `${password}\n`, { mode: 0o600 });
}

const DEMO_API_PASSWORD_FILE = 'demo-api-password';

async function storedDigest(db: Db): Promise<string | null> {
  const service = await db
    .selectFrom('services')
    .select('api_password_digest')
    .where('merchant_id', '=', DEMO_MERCHANT_ID)
    .where('service_id', '=', DEMO_SERVICE_ID)
    .executeTakeFirst();
  return service?.api_password_digest ?? null;
}
