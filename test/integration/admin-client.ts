import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createUser } from '../../src/admin/user.service';
import type { Database, PaymentRow } from '../../src/db/database';
import { capturedPayment } from '../support/stack';

/**
 * A console user agent for integration tests: real HTTP, cookies kept like a browser's (replaced
 * when set again, dropped when expired), forms posted as application/x-www-form-urlencoded.
 */
export class ConsoleClient {
  private readonly cookies = new Map<string, string>();

  /** `headers` go with every request (e.g. what a load balancer adds). */
  constructor(
    readonly baseUrl: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  async fetch(
    path: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...this.headers };
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie) headers.Cookie = cookie;
    if (init.form) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(this.baseUrl + path, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      body: init.form ? new URLSearchParams(init.form).toString() : undefined,
      redirect: 'manual',
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some(
        (a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a),
      );
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  async page(path: string): Promise<{ status: number; html: string; response: Response }> {
    const response = await this.fetch(path);
    return { status: response.status, html: await response.text(), response };
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** Signs in through the form (fetching it first for its CSRF token). */
  async signIn(email: string, password: string): Promise<Response> {
    const form = await this.page('/admin/login');
    return this.fetch('/admin/login', {
      form: { _csrf: csrfOf(form.html), email, password, next: '/admin' },
    });
  }

  /** The session's CSRF token, read from any console page. */
  async csrf(): Promise<string> {
    return csrfOf((await this.page('/admin')).html);
  }

  /** Posts a form with the session's CSRF token. */
  async post(path: string, form: Record<string, string> = {}): Promise<Response> {
    return this.fetch(path, { form: { _csrf: await this.csrf(), ...form } });
  }
}

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]*)"/.exec(html);
  if (!m) throw new Error('no CSRF field on the page');
  return m[1]!;
}

/** The search results table of a page ('' when there is none): the form echoes the criteria. */
export function resultsOf(html: string): string {
  return /<table id="payments">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
}

export const TEST_PASSWORD = 'correct horse battery staple';

export interface TestUsers {
  operator: string;
  admin: string;
  viewer: string;
  otherAdmin: string;
}

export const OTHER_MERCHANT = '40000';

/** The merchant `paymentRow` payments belong to, for tests that write rows directly. */
export async function insertPaymentRowMerchant(db: Kysely<Database>): Promise<void> {
  await db
    .insertInto('merchants')
    .values({
      merchant_id: '30000',
      name: 'Shop',
      display_name: 'Shop',
      mcc: '5999',
      city: 'Tokyo',
      region: 'JP',
      registered_on: '2026-01-01',
      suspended: 0,
      created_at: 0,
    })
    .execute();
}

/** A second merchant with one service, and a user of each role (all with `TEST_PASSWORD`). */
export async function seedConsole(db: Kysely<Database>, tag: string): Promise<TestUsers> {
  const now = new Date();
  await db
    .insertInto('merchants')
    .values({
      merchant_id: OTHER_MERCHANT,
      name: 'Other Shop',
      display_name: 'Other Shop',
      mcc: '5999',
      city: 'Osaka',
      region: 'JP',
      registered_on: '2026-01-01',
      suspended: 0,
      created_at: now.getTime(),
    })
    .execute();
  await db
    .insertInto('services')
    .values({
      merchant_id: OTHER_MERCHANT,
      service_id: '001',
      display_name: 'Other Shop',
      hash_key: randomBytes(20).toString('hex'),
      api_password_digest: null,
      encoding: 'UTF-8',
      url_hosts: JSON.stringify(['shop.example.jp']),
      active: 1,
      maintenance: 0,
      created_at: now.getTime(),
    })
    .execute();
  const users: TestUsers = {
    operator: `operator-${tag}@example.jp`,
    admin: `admin-${tag}@example.jp`,
    viewer: `viewer-${tag}@example.jp`,
    otherAdmin: `other-${tag}@example.jp`,
  };
  await createUser(db, { email: users.operator, role: 'operator', password: TEST_PASSWORD, now });
  await createUser(db, {
    email: users.admin,
    role: 'merchant_admin',
    merchantId: '30000',
    password: TEST_PASSWORD,
    now,
  });
  await createUser(db, {
    email: users.viewer,
    role: 'merchant_viewer',
    merchantId: '30000',
    password: TEST_PASSWORD,
    now,
  });
  await createUser(db, {
    email: users.otherAdmin,
    role: 'merchant_admin',
    merchantId: OTHER_MERCHANT,
    password: TEST_PASSWORD,
    now,
  });
  return users;
}

let sequence = 0;

/** A payment row as the gateway would have written it (for search and screen tests). */
export function paymentRow(overrides: Partial<PaymentRow> = {}): PaymentRow {
  sequence += 1;
  const at = overrides.received_at ?? Date.now();
  const tracking = `9${String(process.pid % 100000).padStart(5, '0')}${String(sequence).padStart(8, '0')}`;
  return {
    tracking_id: tracking,
    token: randomBytes(24).toString('base64url'),
    transaction_id: randomBytes(16).toString('hex').toUpperCase(),
    merchant_id: '30000',
    service_id: '001',
    order_id: `ORD-${tracking}`,
    status: 'CAPTURED',
    amount: 1500,
    cust_code: 'CUST-1',
    item_id: 'ITEM-1',
    item_name: '抹茶セット',
    request_fields: JSON.stringify({ tax: '136', free1: 'note' }),
    details: '[]',
    free_csv: '',
    charset: 'windows-31j',
    terminal_type: 'WEB',
    os_type: null,
    user_agent: 'test',
    client_ip: '127.0.0.1',
    received_at: at,
    updated_at: at,
    in_progress_at: at,
    deadline_at: at + 600_000,
    payment_request_id: `KSPTEST${tracking}`,
    pay_outcome: 'CREATED',
    redirect_url: null,
    alipay_payment_id: `ALI${tracking}`,
    wallet: 'GCASH',
    paid_at: at + 30_000,
    cancel_requested_at: null,
    cancel_target: null,
    result_code: 'SUCCESS',
    quote_currency_pair: 'JPY/PHP',
    quote_price: '0.38',
    acquirer_id: null,
    refunded_amount: 0,
    refund_reserved_amount: 0,
    ...overrides,
  };
}

/** A real purchase through the gateway and the sandbox wallet, waited for until captured. */
export const buyCaptured = capturedPayment;
