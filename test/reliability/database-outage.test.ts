import { connect, createServer, type Server, type Socket } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentStatus } from '../../src/payments/payment-states';
import { checkLedger } from '../../src/settlement/ledger-check';
import { TEST_POSTGRES_URL } from '../support/databases';
import { eventually, freePort, type Stack, simulatePay, startStack } from '../support/stack';

/**
 * PostgreSQL unreachable for 30 s in the middle of a purchase load (operations.md, "The database
 * is down"). The gateway reaches the database through a TCP relay that the test cuts: open
 * connections are reset and new ones refused, as when the server restarts or fails over. While it
 * lasts requests fail clearly (the 1101 page, quickly, never a hang); nothing is half-written;
 * afterwards everything resumes by itself and every payment ends in agreement with Alipay+.
 */
const OUTAGE_MS = 30_000;
const LANES = 3;
/** A request during the outage must still be answered within this. */
const ANSWER_BOUND_MS = 12_000;
const FINAL = new Set<PaymentStatus>(['CAPTURED', 'EXPIRED', 'FAILED', 'CANCELED']);

class Relay {
  private readonly sockets = new Set<Socket>();
  private down = false;
  private constructor(private readonly server: Server) {}

  static async start(port: number, target: URL): Promise<Relay> {
    let relay: Relay | undefined;
    const server = createServer((client) => relay!.accept(client, target));
    relay = new Relay(server);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return relay;
  }

  private accept(client: Socket, target: URL): void {
    if (this.down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }

  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.resetAndDestroy();
  }

  restore(): void {
    this.down = false;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface Attempt {
  orderId: string;
  status: number;
  ms: number;
  code?: string;
  /** The sandbox took the shopper's payment. */
  paid: boolean;
}

describe('PostgreSQL unreachable for 30 s under load', () => {
  let relay: Relay;
  let stack: Stack;
  beforeAll(async () => {
    const relayPort = await freePort();
    const target = new URL(TEST_POSTGRES_URL);
    relay = await Relay.start(relayPort, target);
    const relayed = new URL(TEST_POSTGRES_URL);
    relayed.host = `127.0.0.1:${relayPort}`;
    stack = await startStack('postgres', { env: { DATABASE_URL: relayed.toString() } });
  });
  afterAll(async () => {
    await stack?.close();
    await relay?.close();
  });

  it('fails requests clearly while it lasts, writes nothing by halves, and resumes by itself', async () => {
    const attempts: Attempt[] = [];
    let running = true;
    const lane = async () => {
      while (running) {
        const fields = stack.purchaseFields();
        const started = performance.now();
        const response = await stack.postPurchase(fields);
        const attempt: Attempt = {
          orderId: fields.order_id!,
          status: response.status,
          ms: performance.now() - started,
          paid: false,
        };
        if (response.status === 303) {
          const paid = await simulatePay(stack, { cashierUrl: response.headers.get('location')! });
          attempt.paid = paid.status === 'SUCCESS';
        } else {
          attempt.code = /エラー <span class="code">(\d{4})<\/span>/.exec(await response.text())?.[1];
        }
        attempts.push(attempt);
      }
    };
    const lanes = Array.from({ length: LANES }, lane);

    await new Promise((resolve) => setTimeout(resolve, 2_000));
    relay.cut();
    const cutAt = attempts.length;
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    relay.restore();
    const restoredAt = attempts.length;
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    running = false;
    await Promise.all(lanes);

    const during = attempts.slice(cutAt, restoredAt);
    const after = attempts.slice(restoredAt + LANES);
    // While it lasted: answered, quickly, and either taken or the system-error page — nothing else.
    expect(during.length).toBeGreaterThan(0);
    for (const attempt of during) {
      expect(attempt.ms).toBeLessThan(ANSWER_BOUND_MS);
      if (attempt.status !== 303) expect([attempt.status, attempt.code]).toEqual([500, '1101']);
    }
    expect(during.some((a) => a.status === 500)).toBe(true);
    // Afterwards it works again without a restart.
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((a) => a.status === 303 && a.paid)).toBe(true);

    // Settle: the deadline jobs inquire every payment whose notification or write was lost; a
    // purchase cut off before it reached Alipay+ stays REQUESTED until its selection expires (30 min).
    stack.clock.advance(31 * 60_000);
    stack.runtime.worker!.wake();
    const db = stack.database.db;
    const unsettled = () =>
      db
        .selectFrom('payments')
        .leftJoin('jobs', (join) => join.on('jobs.payload', 'like', sql`'%' || payments.tracking_id || '%'`))
        .select(['payments.tracking_id', 'payments.status', 'jobs.kind', 'jobs.status as job', 'jobs.due_at'])
        .where('payments.status', 'not in', [...FINAL])
        .execute();
    await eventually(async () => (await unsettled()).length === 0, 60_000).catch(async () => {
      expect(await unsettled()).toEqual([]);
    });

    // Money agrees with Alipay+: what the sandbox took is captured, and nothing else is.
    const payments = await db.selectFrom('payments').select(['order_id', 'status']).execute();
    const statusOf = new Map(payments.map((p) => [p.order_id, p.status]));
    for (const attempt of attempts) {
      if (attempt.paid)
        expect([attempt.orderId, statusOf.get(attempt.orderId)]).toEqual([attempt.orderId, 'CAPTURED']);
      else if (statusOf.has(attempt.orderId))
        expect([attempt.orderId, statusOf.get(attempt.orderId)]).not.toEqual([attempt.orderId, 'CAPTURED']);
    }
    // Every captured payment's merchant was told, and no job is left leased.
    await eventually(async () => {
      const undelivered = await db
        .selectFrom('payments')
        .innerJoin('notifications', 'notifications.tracking_id', 'payments.tracking_id')
        .select('payments.order_id')
        .where('payments.status', '=', 'CAPTURED')
        .where('notifications.status', '!=', 'DELIVERED')
        .execute();
      return undelivered.length === 0;
    }, 30_000);
    // A job that was running when the connection was cut could not record its end: its lease
    // (120 s) runs out and another run finishes it.
    stack.clock.advance(121_000);
    stack.runtime.worker!.wake();
    await eventually(async () => {
      const leased = await db.selectFrom('jobs').select('id').where('status', '=', 'RUNNING').execute();
      return leased.length === 0;
    }, 10_000);
    expect((await checkLedger(db)).violations).toEqual([]);
  }, 120_000);
});
