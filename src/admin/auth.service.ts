import { randomBytes, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import type { AdminSessionRow, Db } from '../db/database';
import { sha256Hex } from '../kernel/hashing';
import { writeAudit } from './audit.repository';
import { decoyHash, verifyPassword } from './password';
import type { Actor } from './permissions';
import { actorOf, findUser, findUserByEmail, normalizeEmail } from './user.service';

/**
 * Sign-in and sessions (admin.md, People and permissions). Sessions live in the database (gateway
 * processes are stateless) under the SHA-256 of the cookie's random token. Failed sign-ins are
 * counted per account and per address: each failure answers more slowly, and at the limit the key
 * is locked for a while, even for the right password.
 */
export const IDLE_TIMEOUT_MS = 30 * 60_000;
/** However active, a session ends after this; the person signs in again. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60_000;
/** `last_seen_at` is written at most this often: not every page view needs a write. */
const TOUCH_INTERVAL_MS = 60_000;

export const ACCOUNT_FAILURE_LIMIT = 5;
/** Higher than an account's: many people may share an office address. */
export const ADDRESS_FAILURE_LIMIT = 20;
export const LOCK_MS = 15 * 60_000;
/** Failures older than this are forgotten. */
const FAILURE_WINDOW_MS = 15 * 60_000;
const SLOWDOWN_STEP_MS = 250;
const SLOWDOWN_MAX_MS = 2_000;

export interface SignedIn {
  actor: Actor;
  session: AdminSessionRow;
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison of two tokens (CSRF); different lengths never match. */
export function tokensEqual(a: string | undefined, b: string | undefined): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length === 0) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export async function createSession(
  db: Db,
  userId: string,
  ip: string,
  now: Date,
): Promise<{ token: string; session: AdminSessionRow }> {
  const token = newToken();
  const session: AdminSessionRow = {
    session_id: sha256Hex(token),
    user_id: userId,
    csrf_token: newToken(),
    ip,
    created_at: now.getTime(),
    last_seen_at: now.getTime(),
  };
  await db.insertInto('admin_sessions').values(session).execute();
  // Sessions nobody came back to are removed here rather than by a job: the table stays small.
  await db
    .deleteFrom('admin_sessions')
    .where('last_seen_at', '<', now.getTime() - IDLE_TIMEOUT_MS)
    .execute();
  return { token, session };
}

export type SessionLookup = { kind: 'active'; signedIn: SignedIn } | { kind: 'expired' } | { kind: 'none' };

/** The session of a cookie token; an idle or too old one is deleted and reported as expired. */
export async function loadSession(db: Db, token: string | undefined, now: Date): Promise<SessionLookup> {
  if (!token || token.length > 100) return { kind: 'none' };
  const id = sha256Hex(token);
  const session = await db
    .selectFrom('admin_sessions')
    .selectAll()
    .where('session_id', '=', id)
    .executeTakeFirst();
  if (!session) return { kind: 'none' };
  const at = now.getTime();
  if (at - session.last_seen_at > IDLE_TIMEOUT_MS || at - session.created_at > SESSION_LIFETIME_MS) {
    await db.deleteFrom('admin_sessions').where('session_id', '=', id).execute();
    return { kind: 'expired' };
  }
  const user = await findUser(db, session.user_id);
  const actor = user ? actorOf(user) : null;
  if (!actor) {
    await db.deleteFrom('admin_sessions').where('session_id', '=', id).execute();
    return { kind: 'none' };
  }
  if (at - session.last_seen_at >= TOUCH_INTERVAL_MS) {
    await db.updateTable('admin_sessions').set({ last_seen_at: at }).where('session_id', '=', id).execute();
  }
  return { kind: 'active', signedIn: { actor, session } };
}

export async function endSession(db: Db, sessionId: string): Promise<void> {
  await db.deleteFrom('admin_sessions').where('session_id', '=', sessionId).execute();
}

// --- throttling ----------------------------------------------------------------------------------

const accountKey = (email: string) => `account:${normalizeEmail(email)}`;
const addressKey = (ip: string) => `ip:${ip}`;

/** The end of the lock on any of the keys, or null when none is locked. */
async function lockedUntil(db: Db, keys: string[], now: Date): Promise<Date | null> {
  const rows = await db
    .selectFrom('admin_sign_in_throttle')
    .select('locked_until')
    .where('throttle_key', 'in', keys)
    .where('locked_until', '>', now.getTime())
    .execute();
  const until = Math.max(0, ...rows.map((r) => Number(r.locked_until)));
  return until > 0 ? new Date(until) : null;
}

/**
 * Counts one failure in a single upsert (concurrent failures cannot undercount), starting a fresh
 * window when the last one is over, and locks the key when it reaches `limit`.
 */
async function countFailure(
  db: Db,
  key: string,
  limit: number,
  now: Date,
): Promise<{ failures: number; locked: boolean }> {
  const at = now.getTime();
  // Parameters typed explicitly: PostgreSQL cannot infer a CASE branch's type from a bare parameter.
  const big = (n: number) => sql<number>`CAST(${n} AS BIGINT)`;
  const fresh = sql<boolean>`admin_sign_in_throttle.window_started_at < ${big(at - FAILURE_WINDOW_MS)} OR admin_sign_in_throttle.locked_until <= ${big(at)}`;
  const failures = sql<number>`CASE WHEN ${fresh} THEN 1 ELSE admin_sign_in_throttle.failures + 1 END`;
  const row = await db
    .insertInto('admin_sign_in_throttle')
    .values({ throttle_key: key, failures: 1, window_started_at: at, locked_until: null })
    .onConflict((oc) =>
      oc.column('throttle_key').doUpdateSet({
        failures,
        window_started_at: sql<number>`CASE WHEN ${fresh} THEN ${big(at)} ELSE admin_sign_in_throttle.window_started_at END`,
        locked_until: sql<
          number | null
        >`CASE WHEN ${failures} >= ${limit} THEN ${big(at + LOCK_MS)} ELSE NULL END`,
      }),
    )
    .returning(['failures', 'locked_until'])
    .executeTakeFirstOrThrow();
  return {
    failures: Number(row.failures),
    locked: row.locked_until !== null && Number(row.locked_until) > at,
  };
}

/** Takes back one counted attempt that turned out to succeed (and the lock it alone caused). */
async function uncountFailure(db: Db, key: string, limit: number): Promise<void> {
  await db
    .updateTable('admin_sign_in_throttle')
    .set({
      failures: sql<number>`failures - 1`,
      locked_until: sql<number | null>`CASE WHEN failures - 1 >= ${limit} THEN locked_until ELSE NULL END`,
    })
    .where('throttle_key', '=', key)
    .where('failures', '>', 0)
    .execute();
}

// --- sign-in -------------------------------------------------------------------------------------

export type SignInResult =
  | { kind: 'signed-in'; token: string; signedIn: SignedIn }
  | { kind: 'failed' }
  | { kind: 'locked'; until: Date };

export interface SignInAttempt {
  email: string;
  password: string;
  ip: string;
  now: Date;
}

export async function signIn(db: Db, attempt: SignInAttempt): Promise<SignInResult> {
  const { now, ip } = attempt;
  const email = normalizeEmail(attempt.email).slice(0, 254);
  const keys = [accountKey(email), addressKey(ip)];
  const locked = await lockedUntil(db, keys, now);
  if (locked) return { kind: 'locked', until: locked };

  // Every attempt is counted before the (slow) password check and un-counted if it succeeds, so
  // guesses sent all at once cannot slip past the limit while the first ones are being checked.
  const account = await countFailure(db, keys[0]!, ACCOUNT_FAILURE_LIMIT, now);
  const address = await countFailure(db, keys[1]!, ADDRESS_FAILURE_LIMIT, now);
  if (account.failures > ACCOUNT_FAILURE_LIMIT || address.failures > ADDRESS_FAILURE_LIMIT) {
    return { kind: 'locked', until: new Date(now.getTime() + LOCK_MS) };
  }

  const user = email ? await findUserByEmail(db, email) : undefined;
  const matches = await verifyPassword(
    attempt.password.slice(0, 1024),
    user?.password_hash ?? (await decoyHash()),
  );
  const actor = user && matches ? actorOf(user) : null;
  if (!user || !actor) {
    const audit = {
      at: now,
      actorUserId: null,
      actorEmail: email,
      merchantId: user?.merchant_id ?? null,
      target: email,
      ip,
    };
    await writeAudit(db, { ...audit, action: 'sign-in.failed', detail: { failures: account.failures } });
    if (account.locked || address.locked) {
      await writeAudit(db, {
        ...audit,
        action: 'sign-in.locked',
        detail: { by: account.locked ? 'account' : 'address', minutes: LOCK_MS / 60_000 },
      });
      return { kind: 'locked', until: new Date(now.getTime() + LOCK_MS) };
    }
    await sleep(Math.min(SLOWDOWN_STEP_MS * (account.failures - 1), SLOWDOWN_MAX_MS));
    return { kind: 'failed' };
  }

  await db.deleteFrom('admin_sign_in_throttle').where('throttle_key', '=', keys[0]!).execute();
  await uncountFailure(db, keys[1]!, ADDRESS_FAILURE_LIMIT);
  // Counters whose window and lock are over no longer matter (guessed e-mails leave many).
  await db
    .deleteFrom('admin_sign_in_throttle')
    .where('window_started_at', '<', now.getTime() - FAILURE_WINDOW_MS)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now.getTime())]))
    .execute();
  await db
    .updateTable('admin_users')
    .set({ last_sign_in_at: now.getTime() })
    .where('user_id', '=', user.user_id)
    .execute();
  const { token, session } = await createSession(db, user.user_id, ip, now);
  await writeAudit(db, {
    at: now,
    actorUserId: user.user_id,
    actorEmail: user.email,
    merchantId: user.merchant_id,
    action: 'sign-in',
    target: user.email,
    ip,
  });
  return { kind: 'signed-in', token, signedIn: { actor, session } };
}

/**
 * Re-authentication before a secret is shown or replaced: the signed-in person's password again.
 * Failures count against the account like sign-in failures, so it cannot be used to guess.
 */
export async function reauthenticate(
  db: Db,
  actor: Actor,
  password: string,
  now: Date,
): Promise<'ok' | 'failed' | 'locked'> {
  const key = accountKey(actor.email);
  if (await lockedUntil(db, [key], now)) return 'locked';
  // Counted first, as at sign-in, so parallel guesses cannot pass the limit.
  const counted = await countFailure(db, key, ACCOUNT_FAILURE_LIMIT, now);
  if (counted.failures > ACCOUNT_FAILURE_LIMIT) return 'locked';
  const user = await findUser(db, actor.userId);
  if (user && (await verifyPassword(password.slice(0, 1024), user.password_hash))) {
    await uncountFailure(db, key, ACCOUNT_FAILURE_LIMIT);
    return 'ok';
  }
  return counted.locked ? 'locked' : 'failed';
}
