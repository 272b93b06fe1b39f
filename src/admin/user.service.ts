import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isUniqueViolation } from '../db/connection';
import type { AdminUserRow, Db } from '../db/database';
import { DEMO_MERCHANT_ID } from '../merchants/demo-seed';
import { generatePassword, hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './password';
import { type Actor, isRole, type Role } from './permissions';

/**
 * Console users: created by the CLI (the first operator), by operators (anyone) and by merchant
 * admins (their merchant's people). E-mail addresses are the sign-in name, kept lower-case.
 */
export type UserInputErrorCode =
  | 'EMAIL_INVALID'
  | 'EMAIL_TAKEN'
  | 'ROLE_INVALID'
  | 'MERCHANT_REQUIRED'
  | 'MERCHANT_UNKNOWN'
  | 'MERCHANT_NOT_ALLOWED'
  | 'PASSWORD_TOO_SHORT';

export class UserInputError extends Error {
  override name = 'UserInputError';
  constructor(
    readonly code: UserInputErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface NewUserInput {
  email: string;
  role: string;
  /** Required for merchant roles, refused for operators. */
  merchantId?: string | null | undefined;
  /** When absent a password is generated (and returned once). */
  password?: string | undefined;
  now: Date;
}

export interface CreatedUser {
  user: AdminUserRow;
  /** The password to hand over; it is stored only as a scrypt hash. */
  password: string;
}

const EMAIL =
  /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function createUser(db: Db, input: NewUserInput): Promise<CreatedUser> {
  const email = normalizeEmail(input.email);
  if (!EMAIL.test(email) || email.length > 254) {
    throw new UserInputError('EMAIL_INVALID', `not an e-mail address: ${input.email}`);
  }
  if (!isRole(input.role)) {
    throw new UserInputError('ROLE_INVALID', `role must be operator, merchant_admin or merchant_viewer`);
  }
  const role: Role = input.role;
  const merchantId = input.merchantId?.trim() || null;
  if (role === 'operator' && merchantId !== null) {
    throw new UserInputError('MERCHANT_NOT_ALLOWED', 'an operator belongs to no merchant');
  }
  if (role !== 'operator') {
    if (merchantId === null) throw new UserInputError('MERCHANT_REQUIRED', `a ${role} needs a merchant`);
    const merchant = await db
      .selectFrom('merchants')
      .select('merchant_id')
      .where('merchant_id', '=', merchantId)
      .executeTakeFirst();
    if (!merchant) throw new UserInputError('MERCHANT_UNKNOWN', `no merchant ${merchantId}`);
  }
  const password = input.password ?? generatePassword();
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new UserInputError(
      'PASSWORD_TOO_SHORT',
      `a password needs at least ${MIN_PASSWORD_LENGTH} characters`,
    );
  }
  const at = input.now.getTime();
  const user: AdminUserRow = {
    user_id: `usr_${randomBytes(12).toString('hex')}`,
    email,
    role,
    merchant_id: merchantId,
    password_hash: await hashPassword(password),
    disabled: 0,
    created_at: at,
    updated_at: at,
    last_sign_in_at: null,
  };
  try {
    await db.insertInto('admin_users').values(user).execute();
  } catch (error) {
    if (isUniqueViolation(error)) throw new UserInputError('EMAIL_TAKEN', `${email} already has an account`);
    throw error;
  }
  return { user, password };
}

export async function findUserByEmail(db: Db, email: string): Promise<AdminUserRow | undefined> {
  return db
    .selectFrom('admin_users')
    .selectAll()
    .where('email', '=', normalizeEmail(email))
    .executeTakeFirst();
}

export async function findUser(db: Db, userId: string): Promise<AdminUserRow | undefined> {
  return db.selectFrom('admin_users').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

/** The signed-in person as permissions see them; null for a row that must not sign in. */
export function actorOf(user: AdminUserRow): Actor | null {
  if (user.disabled !== 0 || !isRole(user.role)) return null;
  // A merchant role without its merchant would otherwise fall through to "every merchant".
  if (user.role !== 'operator' && !user.merchant_id) return null;
  return {
    userId: user.user_id,
    email: user.email,
    role: user.role,
    merchantId: user.role === 'operator' ? null : user.merchant_id,
  };
}

/** The users an actor manages: everyone for operators, their merchant's for merchant admins. */
export async function listUsers(db: Db, scope: { merchantId: string | null }): Promise<AdminUserRow[]> {
  let q = db.selectFrom('admin_users').selectAll();
  if (scope.merchantId !== null) q = q.where('merchant_id', '=', scope.merchantId);
  return q.orderBy('email').limit(1000).execute();
}

/** Sets a new generated password and ends the user's sessions; returns the password (shown once). */
export async function resetPassword(db: Db, userId: string, now: Date): Promise<string> {
  const password = generatePassword();
  await setPassword(db, userId, password, now);
  return password;
}

async function setPassword(db: Db, userId: string, password: string, now: Date): Promise<void> {
  const hash = await hashPassword(password);
  await db
    .updateTable('admin_users')
    .set({ password_hash: hash, updated_at: now.getTime() })
    .where('user_id', '=', userId)
    .execute();
  await db.deleteFrom('admin_sessions').where('user_id', '=', userId).execute();
}

/** Disables (ending every session) or enables a user. */
export async function setDisabled(db: Db, userId: string, disabled: boolean, now: Date): Promise<void> {
  await db
    .updateTable('admin_users')
    .set({ disabled: disabled ? 1 : 0, updated_at: now.getTime() })
    .where('user_id', '=', userId)
    .execute();
  if (disabled) await db.deleteFrom('admin_sessions').where('user_id', '=', userId).execute();
}

// --- demo -----------------------------------------------------------------------------------------

export interface DemoCredential {
  role: Role;
  email: string;
  password: string;
}

const DEMO_USERS: ReadonlyArray<{ role: Role; email: string; merchantId: string | null }> = [
  { role: 'operator', email: 'operator@demo.kessai.example', merchantId: null },
  { role: 'merchant_admin', email: 'admin@demo.kessai.example', merchantId: DEMO_MERCHANT_ID },
  { role: 'merchant_viewer', email: 'viewer@demo.kessai.example', merchantId: DEMO_MERCHANT_ID },
];

/** Where the demo's plain passwords are kept so that they can be printed at every start. */
export const DEMO_PASSWORDS_FILE = 'demo-console-passwords.json';

/**
 * The demo's console users (admin.md: "the demo seeds a demo merchant and users and prints their
 * credentials at start-up"), after the demo merchant exists. Passwords are generated once and kept
 * in two places: hashed in the database like any other, and in plain text in
 * `<dataDir>/demo-console-passwords.json` (mode 0600) so each start can print them. When the file
 * is missing or no longer matches (another data folder, a password changed in the console), the
 * user gets a fresh password and the file is rewritten. Demo mode only.
 */
export async function seedDemoUsers(
  db: Db,
  now: Date,
  options: { dataDir: string },
): Promise<DemoCredential[]> {
  const file = join(options.dataDir, DEMO_PASSWORDS_FILE);
  const stored = readPasswordFile(file);
  let changed = false;
  const out: DemoCredential[] = [];
  for (const spec of DEMO_USERS) {
    let existing = await findUserByEmail(db, spec.email);
    let password = stored[spec.email];
    if (!existing) {
      const created = password ?? generatePassword();
      try {
        await createUser(db, { ...spec, password: created, now });
        changed ||= stored[spec.email] !== created;
        stored[spec.email] = created;
        out.push({ role: spec.role, email: spec.email, password: created });
        continue;
      } catch (error) {
        // A process starting side by side on this database created it first: from here on, the
        // user exists, and its password is checked (and if need be renewed) like any other.
        existing = await findUserByEmail(db, spec.email);
        if (!(error instanceof UserInputError && error.code === 'EMAIL_TAKEN') || !existing) throw error;
        password = readPasswordFile(file)[spec.email];
      }
    }
    if (password === undefined || !(await verifyPassword(password, existing.password_hash))) {
      password = generatePassword();
      await setPassword(db, existing.user_id, password, now);
      changed = true;
    }
    if (existing.disabled !== 0) await setDisabled(db, existing.user_id, false, now);
    stored[spec.email] = password;
    out.push({ role: spec.role, email: spec.email, password });
  }
  if (changed) {
    mkdirSync(options.dataDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return out;
}

function readPasswordFile(file: string): Record<string, string> {
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof value !== 'object' || value === null) return {};
    return Object.fromEntries(
      Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  } catch {
    return {};
  }
}
