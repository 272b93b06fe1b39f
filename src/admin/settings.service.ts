import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database';
import type { ServiceWithMerchant } from '../merchants/merchant.repository';
import { canonicalHost, isInternalHost, isValidHostEntry } from '../merchants/url-hosts';
import type { ServiceKey } from './merchant-list';

/**
 * Service settings changed from the console (admin.md, Screens 5): display name, registered URL
 * hosts, the service encoding, and the hash key. The API password has its own module
 * (`merchants/api-password.ts`): it is stored only as a digest.
 */
export const SERVICE_ENCODINGS = ['Shift_JIS', 'UTF-8'] as const;
export type ServiceEncoding = (typeof SERVICE_ENCODINGS)[number];
const MAX_HOSTS = 50;
const MAX_DISPLAY_NAME = 64;

export interface GeneralSettings {
  displayName: string;
  urlHosts: string[];
  encoding: ServiceEncoding;
}

export type SettingsProblem =
  | { kind: 'DISPLAY_NAME' }
  | { kind: 'NO_HOSTS' }
  | { kind: 'HOST'; host: string }
  | { kind: 'INTERNAL_HOST'; host: string }
  | { kind: 'ENCODING' };

/** Reads the general form: hosts one per line (or comma-separated), canonical and without repeats. */
export function checkGeneralSettings(
  input: {
    displayName: string;
    urlHosts: string;
    encoding: string;
  },
  /**
   * Hosts on the gateway's own machine or network (loopback, private, link-local) reach it from
   * inside: only an operator may add one (configuration.md, KESSAI_MODE); entries already there stay.
   */
  internalHosts: { allowed: boolean; existing: readonly string[] },
): { ok: true; value: GeneralSettings } | { ok: false; problems: SettingsProblem[] } {
  const problems: SettingsProblem[] = [];
  const displayName = input.displayName.trim();
  if (displayName === '' || [...displayName].length > MAX_DISPLAY_NAME || /\p{Cc}/u.test(displayName)) {
    problems.push({ kind: 'DISPLAY_NAME' });
  }
  const entries = input.urlHosts
    .split(/[\r\n,]+/)
    .map((h) => h.trim())
    .filter((h) => h !== '');
  const hosts: string[] = [];
  for (const entry of entries.slice(0, MAX_HOSTS + 1)) {
    const host = isValidHostEntry(entry) ? canonicalHost(entry) : null;
    if (host === null) problems.push({ kind: 'HOST', host: entry.slice(0, 100) });
    else if (!internalHosts.allowed && isInternalHost(host) && !internalHosts.existing.includes(host)) {
      problems.push({ kind: 'INTERNAL_HOST', host });
    } else if (!hosts.includes(host)) hosts.push(host);
  }
  if (hosts.length === 0 && !problems.some((p) => p.kind === 'HOST')) problems.push({ kind: 'NO_HOSTS' });
  if (entries.length > MAX_HOSTS) problems.push({ kind: 'HOST', host: entries[MAX_HOSTS]!.slice(0, 100) });
  const encoding = SERVICE_ENCODINGS.find((e) => e === input.encoding);
  if (!encoding) problems.push({ kind: 'ENCODING' });
  return problems.length === 0 && encoding
    ? { ok: true, value: { displayName, urlHosts: hosts, encoding } }
    : { ok: false, problems };
}

/** Saves the general settings; returns what changed (old and new values) for the audit log. */
export async function updateGeneralSettings(
  db: Db,
  current: ServiceWithMerchant,
  value: GeneralSettings,
): Promise<Record<string, { from: unknown; to: unknown }>> {
  const { service } = current;
  await db
    .updateTable('services')
    .set({
      display_name: value.displayName,
      url_hosts: JSON.stringify(value.urlHosts),
      encoding: value.encoding,
    })
    .where('merchant_id', '=', service.merchant_id)
    .where('service_id', '=', service.service_id)
    .execute();
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  const before = {
    displayName: service.display_name,
    urlHosts: current.urlHosts,
    encoding: service.encoding,
  };
  for (const key of ['displayName', 'urlHosts', 'encoding'] as const) {
    if (JSON.stringify(before[key]) !== JSON.stringify(value[key]))
      changes[key] = { from: before[key], to: value[key] };
  }
  return changes;
}

/** A new hash key (160 random bits as 40 hex digits, like the generated demo key); the old one stops working. */
export async function rotateHashKey(db: Db, key: ServiceKey): Promise<string> {
  const hashKey = randomBytes(20).toString('hex');
  await db
    .updateTable('services')
    .set({ hash_key: hashKey })
    .where('merchant_id', '=', key.merchantId)
    .where('service_id', '=', key.serviceId)
    .execute();
  return hashKey;
}

/** How the console shows a secret it does not reveal: its length only, never a part of it. */
export function maskedSecret(secret: string): string {
  return '•'.repeat(Math.min(secret.length, 12));
}
