import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Connection, openDatabase } from '../../src/db/connection';
import type { Database, Db } from '../../src/db/database';
import { canTransition, type PaymentStatus } from '../../src/payments/payment-states';
import { runKessai } from '../support/cli';
import { TEST_POSTGRES_URL } from '../support/databases';
import { enableXmlApi, refundOverXmlApi } from '../support/merchant-api';
import { capturedPayment, eventually, type Stack, startStack } from '../support/stack';

/**
 * `kessai backup` copies a live SQLite database while purchases and refunds keep arriving over
 * HTTP; the copy must be a consistent moment of the gateway (operations.md, Backups).
 */
const LANES = 4;

describe('kessai backup (sqlite)', () => {
  let stack: Stack;
  let dir: string;
  beforeAll(async () => {
    stack = await startStack('sqlite');
    await enableXmlApi(stack);
    dir = mkdtempSync(join(tmpdir(), 'kessai-backup-'));
  });
  afterAll(async () => {
    await stack?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Buys, then refunds part and the rest, over and over, until told to stop. */
  async function lane(running: () => boolean, failures: string[]): Promise<void> {
    while (running()) {
      try {
        const payment = await capturedPayment(stack);
        for (const amount of [400, undefined]) {
          const answer = await refundOverXmlApi(stack, payment.tracking_id, amount);
          if (answer.res_result !== 'OK') failures.push(`refund answered ${answer.res_err_code}`);
        }
      } catch (error) {
        failures.push(String(error));
      }
    }
  }

  it('takes a consistent copy mid-load that reconcile finds in agreement for what it holds', async () => {
    let running = true;
    const failures: string[] = [];
    const lanes = Array.from({ length: LANES }, () => lane(() => running, failures));
    const countPayments = async (db: Db) =>
      Number(
        (
          await db
            .selectFrom('payments')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    await eventually(async () => (await countPayments(stack.database.db)) >= 2 * LANES, 60_000);

    const file = join(dir, 'copy.sqlite');
    const backup = await runKessai(['backup', file], stack.cliEnv);
    expect(backup.stderr).toBe('');
    expect(backup.stdout).toMatch(/^backed up \d+ pages to .*copy\.sqlite \(integrity check ok\)\n$/);
    expect(backup.code).toBe(0);
    const atBackup = await countPayments(stack.database.db);
    await eventually(async () => (await countPayments(stack.database.db)) >= atBackup + LANES, 60_000);
    running = false;
    await Promise.all(lanes);
    expect(failures).toEqual([]);

    const raw = new SQLite(file, { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();
    const copy: Connection<Database> = openDatabase<Database>(`sqlite:${file}`);
    try {
      const held = await countPayments(copy.db);
      expect(held).toBeGreaterThanOrEqual(2 * LANES);
      expect(held).toBeLessThan(await countPayments(stack.database.db));
      await expectConsistent(copy.db);

      // The live gateway, settled, agrees with Alipay+ throughout.
      expect((await runKessai(['reconcile', '--json'], stack.cliEnv)).code).toBe(0);
      // The copy agrees too, except where the gateway went on after the backup: those payments
      // are exactly what a restore would have to learn again from Alipay+.
      const result = await runKessai(['reconcile', '--json'], {
        ...stack.cliEnv,
        DATABASE_URL: `sqlite:${file}`,
      });
      const report = JSON.parse(result.stdout) as {
        payments: number;
        discrepancies: Array<{ kind: string; trackingId: string }>;
      };
      expect(report.payments).toBe(held);
      const movedOn = await paymentsChangedSince(copy.db, stack.database.db);
      for (const discrepancy of report.discrepancies) {
        expect(movedOn).toContain(discrepancy.trackingId);
        expect(['REFUND_NOT_IN_GATEWAY', 'REFUND_TOTAL']).toContain(discrepancy.kind);
      }
      expect(result.code).toBe(report.discrepancies.length ? 1 : 0);
    } finally {
      await copy.close();
    }
  });

  it('refuses to overwrite an existing file', async () => {
    const file = join(dir, 'taken.sqlite');
    writeFileSync(file, 'keep me');
    const result = await runKessai(['backup', file], stack.cliEnv);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`kessai: ${file} already exists; choose a new file\n`);
  });
});

describe('kessai backup (postgres)', () => {
  it('refuses a PostgreSQL database and points to pg_dump, writing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kessai-backup-'));
    try {
      const file = join(dir, 'copy.sqlite');
      const result = await runKessai(['backup', file], {
        DATABASE_URL: TEST_POSTGRES_URL,
        KESSAI_DATA_DIR: dir,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('DATABASE_URL is PostgreSQL: use pg_dump');
      expect(existsSync(file)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Refunds never exceed their payment, the totals are the sums of the refund rows, the status
 * follows from them, and every payment's history is an unbroken walk through the state table that
 * ends in its status.
 */
async function expectConsistent(db: Db): Promise<void> {
  const payments = await db.selectFrom('payments').selectAll().execute();
  const refunds = await db.selectFrom('refunds').selectAll().execute();
  const events = await db.selectFrom('payment_events').selectAll().orderBy('id').execute();
  for (const payment of payments) {
    const own = refunds.filter((r) => r.tracking_id === payment.tracking_id);
    const sum = (status: string) => own.filter((r) => r.status === status).reduce((s, r) => s + r.amount, 0);
    expect(payment.refunded_amount + payment.refund_reserved_amount).toBeLessThanOrEqual(payment.amount);
    expect(payment.refunded_amount).toBe(sum('SUCCEEDED'));
    expect(payment.refund_reserved_amount).toBe(sum('PROCESSING'));
    const expectedStatus =
      payment.refunded_amount === 0
        ? payment.status
        : payment.refunded_amount === payment.amount
          ? 'REFUNDED'
          : 'PARTIALLY_REFUNDED';
    expect(payment.status).toBe(expectedStatus);

    let at: string = 'REQUESTED';
    for (const event of events.filter((e) => e.tracking_id === payment.tracking_id)) {
      expect(event.from_status).toBe(at);
      expect(canTransition(event.from_status as PaymentStatus, event.to_status as PaymentStatus)).toBe(true);
      at = event.to_status;
    }
    expect(payment.status).toBe(at);
  }
}

/** The payments of `copy` whose status, totals or refunds are no longer the same in `live`. */
async function paymentsChangedSince(copy: Db, live: Db): Promise<string[]> {
  const state = async (db: Db) => {
    const payments = await db
      .selectFrom('payments')
      .select(['tracking_id', 'status', 'refunded_amount'])
      .execute();
    const refunds = await db.selectFrom('refunds').select(['tracking_id', 'refund_id', 'status']).execute();
    return new Map(
      payments.map((p) => [
        p.tracking_id,
        JSON.stringify([
          p.status,
          p.refunded_amount,
          refunds
            .filter((r) => r.tracking_id === p.tracking_id)
            .map((r) => `${r.refund_id}:${r.status}`)
            .sort(),
        ]),
      ]),
    );
  };
  const [before, after] = [await state(copy), await state(live)];
  return [...before].filter(([id, value]) => after.get(id) !== value).map(([id]) => id);
}
