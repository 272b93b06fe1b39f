/**
 * Console latency on a large database (admin.md, Quality bar: every page < 100 ms with 1,000,000
 * payments on the embedded database). For each database it seeds N payments of the demo service,
 * serves the console on a loopback port, signs in, and times real HTTP requests of the search,
 * the billing screen and the dashboard (p50/p95/max), then streams a CSV of about 100,000 rows and
 * reports its rate and the process's memory growth. Not a test: numbers are printed, not asserted.
 *
 *   npx tsx bench/admin-latency.ts [--payments 1000000] [--requests 200] [--dialects sqlite,postgres]
 *                                  [--postgres postgres://postgres@127.0.0.1:5432/test]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { adminRoutes } from '../src/admin/admin.routes';
import { seedPayments } from '../src/admin/demo-data';
import { jstLocalValue } from '../src/admin/payment-search';
import { createUser } from '../src/admin/user.service';
import { createMetrics } from '../src/app/metrics';
import { a02ResultNotification } from '../src/channels/link/result-notification';
import { type DialectName, openDatabase } from '../src/db/connection';
import type { Database } from '../src/db/database';
import { migrateToLatest } from '../src/db/migrate';
import { systemClock } from '../src/kernel/clock';
import { DEMO_MERCHANT_ID, DEMO_SERVICE_ID, seedDemoData } from '../src/merchants/demo-seed';
import { NotificationService } from '../src/notifications/notification.service';

const { values: args } = parseArgs({
  options: {
    payments: { type: 'string', default: '1000000' },
    requests: { type: 'string', default: '200' },
    dialects: { type: 'string', default: 'sqlite,postgres' },
    postgres: {
      type: 'string',
      default: process.env.KESSAI_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
    },
  },
});
const PAYMENTS = Number(args.payments);
const REQUESTS = Number(args.requests);
const PASSWORD = 'bench password 0123';
const DAY = 86_400_000;

interface Row {
  dialect: string;
  scenario: string;
  n: number;
  p50: number;
  p95: number;
  max: number;
}

interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  close(): Promise<void>;
}

async function openStore(dialect: DialectName): Promise<Store> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'kessai-bench-'));
    const connection = openDatabase<Database>(`sqlite:${join(dir, 'kessai.sqlite')}`);
    await migrateToLatest(connection.db, 'sqlite');
    return {
      ...connection,
      async close() {
        await connection.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: args.postgres });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const connection = openDatabase<Database>(args.postgres!, { searchPath: schema });
  await migrateToLatest(connection.db, 'postgres', schema);
  return {
    ...connection,
    async close() {
      await connection.close();
      const cleanup = new pg.Client({ connectionString: args.postgres });
      await cleanup.connect();
      await cleanup.query(`DROP SCHEMA ${schema} CASCADE`);
      await cleanup.end();
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))] ?? 0;
}

async function bench(dialect: DialectName, rows: Row[]): Promise<string[]> {
  const notes: string[] = [];
  const store = await openStore(dialect);
  try {
    const now = new Date();
    await seedDemoData(store.db, now, {});
    await createUser(store.db, {
      email: 'bench@example.jp',
      role: 'merchant_admin',
      merchantId: DEMO_MERCHANT_ID,
      password: PASSWORD,
      now,
    });
    await createUser(store.db, {
      email: 'bench-operator@example.jp',
      role: 'operator',
      password: PASSWORD,
      now,
    });
    const seedStarted = Date.now();
    let shown = 0;
    await seedPayments(store.db, dialect, {
      count: PAYMENTS,
      merchantId: DEMO_MERCHANT_ID,
      serviceId: DEMO_SERVICE_ID,
      onProgress: (done, total) => {
        if (done - shown >= total / 10 || done === total) {
          shown = done;
          process.stderr.write(
            `  ${dialect}: seeded ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}\n`,
          );
        }
      },
    });
    notes.push(
      `${dialect}: seeded ${PAYMENTS.toLocaleString('en-US')} payments in ${((Date.now() - seedStarted) / 1000).toFixed(0)} s`,
    );

    const app = Fastify({ logger: false });
    await app.register(adminRoutes, {
      db: store.db,
      clock: systemClock,
      notifications: new NotificationService({
        db: store.db,
        format: a02ResultNotification,
        clock: systemClock,
        mode: 'demo',
        wakeJobs: () => {},
        metrics: createMetrics(store.db, systemClock),
      }),
    });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const signIn = async (email: string) => {
        const form = await fetch(`${base}/admin/login`);
        const loginCookie = form.headers.getSetCookie()[0]!.split(';')[0]!;
        const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
        const signedIn = await fetch(`${base}/admin/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: loginCookie },
          body: new URLSearchParams({ _csrf: token, email, password: PASSWORD }).toString(),
          redirect: 'manual',
        });
        return signedIn.headers
          .getSetCookie()
          .find((c) => c.startsWith('kessai_admin='))!
          .split(';')[0]!;
      };
      const merchantCookie = await signIn('bench@example.jp');
      const operatorCookie = await signIn('bench-operator@example.jp');

      // Sample payments spread over the year for the id lookups and billing screens.
      const samples: Array<{ tracking_id: string; order_id: string; cust_code: string }> = [];
      for (let i = 0; i < REQUESTS; i++) {
        const at = now.getTime() - Math.floor(Math.random() * 360 * DAY);
        const row = await store.db
          .selectFrom('payments')
          .select(['tracking_id', 'order_id', 'cust_code'])
          .where('merchant_id', '=', DEMO_MERCHANT_ID)
          .where('received_at', '>=', at)
          .orderBy('received_at')
          .limit(1)
          .executeTakeFirst();
        if (row) samples.push(row);
      }
      const pick = (i: number) => samples[i % samples.length]!;
      const yearAgo = jstLocalValue(new Date(now.getTime() - 364 * DAY));
      const monthAgo = jstLocalValue(new Date(now.getTime() - 30 * DAY));
      const q = (params: Record<string, string>) => `/admin/payments?${new URLSearchParams(params)}`;

      // The cursor 20 pages into a year: a deep page costs what the first one does.
      let deep = q({ from: yearAgo });
      for (let i = 0; i < 20; i++) {
        const html = await (await fetch(base + deep, { headers: { Cookie: merchantCookie } })).text();
        deep = /<a href="([^"]+)" rel="next">/.exec(html)![1]!.replace(/&amp;/g, '&');
      }

      const scenarios: Array<[string, (i: number) => string, string]> = [
        ['dashboard', () => '/admin', merchantCookie],
        ['search: last 30 days', () => q({ from: monthAgo }), merchantCookie],
        ['search: a year', () => q({ from: yearAgo }), merchantCookie],
        ['search: a year, page 21', () => deep, merchantCookie],
        ['search: order id', (i) => q({ from: yearAgo, order_id: pick(i).order_id }), merchantCookie],
        [
          'search: tracking id',
          (i) => q({ from: yearAgo, tracking_id: pick(i).tracking_id }),
          merchantCookie,
        ],
        ['search: customer code', (i) => q({ from: yearAgo, cust_code: pick(i).cust_code }), merchantCookie],
        ['search: status REFUNDED', () => q({ from: yearAgo, status: 'REFUNDED' }), merchantCookie],
        ['search: sub-brand BPI', () => q({ from: yearAgo, sub_brand: 'BPI' }), merchantCookie],
        [
          'search: ¥20,000–¥30,000',
          () => q({ from: yearAgo, amount_min: '20000', amount_max: '30000' }),
          merchantCookie,
        ],
        [
          'search: operator, order id',
          (i) => q({ from: yearAgo, order_id: pick(i).order_id }),
          operatorCookie,
        ],
        ['billing: basic tab', (i) => `/admin/payments/${pick(i).tracking_id}`, merchantCookie],
        ['billing: details tab', (i) => `/admin/payments/${pick(i).tracking_id}?tab=details`, merchantCookie],
      ];
      for (const [scenario, path, cookie] of scenarios) {
        for (let i = 0; i < 5; i++)
          await (await fetch(base + path(i), { headers: { Cookie: cookie } })).arrayBuffer();
        const times: number[] = [];
        for (let i = 0; i < REQUESTS; i++) {
          const started = performance.now();
          const response = await fetch(base + path(i), { headers: { Cookie: cookie } });
          await response.arrayBuffer();
          times.push(performance.now() - started);
          if (response.status !== 200) throw new Error(`${scenario}: HTTP ${response.status} for ${path(i)}`);
        }
        times.sort((a, b) => a - b);
        rows.push({
          dialect,
          scenario,
          n: times.length,
          p50: percentile(times, 0.5),
          p95: percentile(times, 0.95),
          max: times[times.length - 1] ?? 0,
        });
      }

      // About 100,000 rows of CSV, streamed: time, rate and how much the process grew meanwhile.
      const csvDays = Math.min(364, Math.ceil((100_000 / PAYMENTS) * 364));
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => {
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      }, 20);
      const started = performance.now();
      const csv = await fetch(
        `${base}/admin/payments.csv?${new URLSearchParams({ from: jstLocalValue(new Date(now.getTime() - csvDays * DAY)) })}`,
        {
          headers: { Cookie: merchantCookie },
        },
      );
      if (csv.status !== 200) throw new Error(`CSV: HTTP ${csv.status}`);
      let bytes = 0;
      let lines = 0;
      const reader = csv.body!.getReader();
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        bytes += chunk.value.length;
        for (const b of chunk.value) if (b === 0x0a) lines++;
      }
      const seconds = (performance.now() - started) / 1000;
      clearInterval(sampler);
      notes.push(
        `${dialect}: CSV of ${(lines - 1).toLocaleString('en-US')} rows (${(bytes / 1e6).toFixed(1)} MB) streamed in ${seconds.toFixed(2)} s ` +
          `(${Math.round((lines - 1) / seconds).toLocaleString('en-US')} rows/s); process memory grew by at most ${((rssPeak - rssBefore) / 1e6).toFixed(0)} MB`,
      );
    } finally {
      await app.close();
    }
  } finally {
    await store.close();
  }
  return notes;
}

const rows: Row[] = [];
const notes: string[] = [];
for (const dialect of args.dialects!.split(',') as DialectName[]) {
  notes.push(...(await bench(dialect, rows)));
}

const header = ['database', 'scenario', 'n', 'p50 ms', 'p95 ms', 'max ms'];
const table = rows.map((r) => [
  r.dialect,
  r.scenario,
  String(r.n),
  r.p50.toFixed(1),
  r.p95.toFixed(1),
  r.max.toFixed(1),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
const line = (cells: string[]) =>
  `| ${cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
process.stdout.write(
  [
    `Console latency, ${PAYMENTS.toLocaleString('en-US')} payments, ${REQUESTS} requests per scenario over real HTTP (sequential)`,
    '',
    line(header),
    `|${widths.map((w, i) => (i >= 2 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`,
    ...table.map(line),
    '',
    ...notes,
    '',
  ].join('\n'),
);
