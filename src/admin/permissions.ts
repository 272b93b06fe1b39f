/**
 * Console roles and what each may do (admin.md, People and permissions). Tenancy is separate:
 * a merchant's people see only their merchant (`scopeOf`), whatever the action.
 */
export const ROLES = ['operator', 'merchant_admin', 'merchant_viewer'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export type Action =
  | 'payments.read'
  | 'payments.csv'
  | 'refund'
  | 'notification.resend'
  | 'settings.read'
  | 'settings.write'
  | 'users.manage'
  | 'audit.read'
  | 'notices.addresses'
  | 'maintenance.manage'
  | 'outages.manage'
  /** KYC cases, fraud investigations, prohibited categories (governance.md): reading them. */
  | 'governance.read'
  /** Answering one's own merchant's cases. */
  | 'governance.answer'
  /** Opening, deciding and closing cases, the refund stop, the prohibited list: operators only. */
  | 'governance.manage'
  /** Alipay+'s settlement reports and their reconciliation: the gateway's money, operators only. */
  | 'reports.reconcile'
  /** Statements and upcoming payouts (settlement.md): one's own merchant's. */
  | 'statements.read'
  /** Transfer files and marking payouts paid: the gateway's staff only. */
  | 'payouts.manage'
  | 'subBrands.apply'
  | 'subBrands.withdraw';

const VIEWER: readonly Action[] = [
  'payments.read',
  'payments.csv',
  'settings.read',
  'governance.read',
  'statements.read',
];
const ADMIN: readonly Action[] = [
  ...VIEWER,
  'refund',
  'notification.resend',
  'settings.write',
  'users.manage',
  'audit.read',
  'notices.addresses',
  'subBrands.apply',
];
/** Governance of the gateway itself (governance.md, 5 and 6) is the operator's alone. */
const OPERATOR: readonly Action[] = [
  ...ADMIN,
  'maintenance.manage',
  'outages.manage',
  'governance.manage',
  'reports.reconcile',
  'payouts.manage',
  'subBrands.withdraw',
];

const GRANTS: Readonly<Record<Role, readonly Action[]>> = {
  operator: OPERATOR,
  merchant_admin: [...ADMIN, 'governance.answer'],
  merchant_viewer: VIEWER,
};

export interface Actor {
  userId: string;
  email: string;
  role: Role;
  /** The merchant a merchant role belongs to; null for operators (every merchant). */
  merchantId: string | null;
}

export function can(actor: Actor, action: Action): boolean {
  return GRANTS[actor.role].includes(action);
}

/** The merchant every query of this actor is confined to; null: all merchants (operators). */
export function scopeOf(actor: Actor): { merchantId: string | null } {
  return { merchantId: actor.role === 'operator' ? null : actor.merchantId };
}

/** Whether the actor may see data of `merchantId`. */
export function inScope(actor: Actor, merchantId: string): boolean {
  const { merchantId: scope } = scopeOf(actor);
  return scope === null || scope === merchantId;
}

/** The roles an actor may give to users it creates. */
export function assignableRoles(actor: Actor): readonly Role[] {
  return actor.role === 'operator'
    ? ROLES
    : actor.role === 'merchant_admin'
      ? ['merchant_admin', 'merchant_viewer']
      : [];
}
