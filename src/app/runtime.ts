import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { seedDemoUsers } from '../admin/user.service';
import { clearingDay } from '../alipayplus/settlement-reports';
import { a02ResultNotification } from '../channels/link/result-notification';
import { type Connection, openDatabase } from '../db/connection';
import type { Database } from '../db/database';
import { migrateToLatest } from '../db/migrate';
import { buildShopApp } from '../demo-shop/shop-app';
import {
  type EffectiveEdge,
  JOB_EFFECTIVE_NOTICE,
  postEffectiveNotice,
} from '../governance/effective-notices';
import {
  JOB_MAINTENANCE_NOTICE,
  type MaintenanceStage,
  postMaintenanceStage,
} from '../governance/maintenance';
import { JOB_SEND_NOTICE_EMAIL } from '../governance/notice.repository';
import { NoticeMailer } from '../governance/notice-mailer';
import { AlipayPlusBreaker } from '../governance/outage-breaker';
import { subBrandStates } from '../governance/sub-brand-review.repository';
import {
  JOB_INQUIRE_REGISTRATION,
  JOB_SEND_REGISTRATION,
  SubBrandReviewService,
} from '../governance/sub-brand-review.service';
import { JobWorker } from '../jobs/job-worker';
import { type Clock, systemClock } from '../kernel/clock';
import { randomIds } from '../kernel/ids';
import { jstDate, startOfJstDay } from '../kernel/jst';
import {
  currentDemoApiPassword,
  DEMO_MERCHANT_ID,
  DEMO_SERVICE_ID,
  type DemoCredentials,
  demoApiPassword,
  seedDemoData,
} from '../merchants/demo-seed';
import { findServiceWithMerchant } from '../merchants/merchant.repository';
import { SUB_BRAND_CODES } from '../merchants/sub-brands';
import type { Resolver } from '../notifications/merchant-endpoint';
import { DELIVER_NOTIFICATION, NotificationService } from '../notifications/notification.service';
import { PaymentService } from '../payments/payment.service';
import {
  JOB_CANCEL,
  JOB_DEADLINE,
  JOB_EXPIRE_SELECTION,
  JOB_REVERSE_LATE_PAYMENT,
} from '../payments/payment-schedule';
import { JOB_RESEND_REFUND, RefundService } from '../refunds/refund.service';
import { buildSandboxApp, reportSftpPort } from '../sandbox/sandbox-app';
import { seedDemoSettlement } from '../settlement/demo-settlement';
import {
  type ReportSource,
  SETTLEMENT_FETCH_JOB,
  scheduleSettlementFetch,
  settlementFetchJob,
} from '../settlement/report-fetch';
import {
  SETTLEMENT_CLOSE_JOB,
  scheduleSettlementClose,
  settlementCloseJob,
} from '../settlement/statement-close-job';
import { createAlipayPlusConnector } from './alipayplus-provider';
import { type Config, requireAlipayPlusSettings } from './config';
import { buildGatewayApp } from './gateway-app';
import { gatewayKeys, sandboxKeyPair, sandboxSftpHostKey, sshHostKeyFingerprint } from './keys';
import { createLogger, type Logger } from './logger';
import { buildMetricsApp, createMetrics } from './metrics';

/**
 * The composition root: builds and starts the parts a command asks for — gateway, job worker,
 * sandbox, demo shop — on one configuration, and stops them in order.
 */
export interface Components {
  gateway: boolean;
  jobs: boolean;
  sandbox: boolean;
  shop: boolean;
}

export interface RuntimeOptions {
  config: Config;
  components: Components;
  /** The gateway's clock (tests move it). */
  clock?: Clock;
  /** The sandbox's clock (tests move it independently, like the real Alipay+'s). */
  sandboxClock?: Clock;
  /** Tests: the PostgreSQL schema of this run. */
  searchPath?: string;
  logger?: Logger;
  /** Seeds the demo merchant; default: in demo mode. */
  seedDemo?: boolean;
  /**
   * Gives the demo merchant last month's payments and a bank account, so the start-up close shows
   * a settled cycle (`kessai start` only: tests bring their own payments).
   */
  seedDemoSettlement?: boolean;
  jobPollIntervalMs?: number;
  /** How long the Alipay+ breaker stays open before a test call (10 s; tests shorten it). */
  breakerHalfOpenAfterMs?: number;
  /** How long a merchant has to answer an A02-1 (10 s by the spec; tests shorten it). */
  notificationAnswerTimeoutMs?: number;
  /**
   * How this process wakes the job worker after committing a job that is due now. Default: its own
   * worker; an HTTP process of `serve --processes` wakes the primary's.
   */
  wakeJobs?: (kind?: string) => void;
  /** Name resolution for merchant URLs (the system resolver unless a test stands in for DNS). */
  resolve?: Resolver;
}

export interface Runtime {
  config: Config;
  db: Kysely<Database>;
  payments: PaymentService | undefined;
  notifications: NotificationService | undefined;
  refunds: RefundService | undefined;
  registrations: SubBrandReviewService | undefined;
  worker: JobWorker | undefined;
  /** The Alipay+ circuit breaker of this process (gateway or worker). */
  breaker: AlipayPlusBreaker | undefined;
  apps: {
    gateway?: FastifyInstance;
    sandbox?: FastifyInstance;
    shop?: FastifyInstance;
    /** The Prometheus listener (`KESSAI_METRICS_PORT`). */
    metrics?: FastifyInstance;
  };
  demo: DemoCredentials | undefined;
  close(): Promise<void>;
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, components } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config.logLevel, config.mode === 'demo');
  const started: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const stop of started.reverse()) await stop();
  };

  try {
    let connection: Connection<Database> | undefined;
    const needsDb = components.gateway || components.jobs || components.shop;
    if (needsDb) {
      connection = openDatabase<Database>(config.databaseUrl, { searchPath: options.searchPath });
      started.push(() => connection!.close());
      await migrateToLatest(connection.db, connection.dialect, options.searchPath);
    }
    const db = connection?.db as Kysely<Database>;
    const seed = options.seedDemo ?? config.mode === 'demo';
    const demo: DemoCredentials | undefined =
      seed && db
        ? {
            ...(await seedDemoData(db, clock.now(), { hashKey: config.demo.hashKey })),
            apiPassword: await demoApiPassword(db, config.dataDir, config.demo.apiPassword),
            consoleUsers: await seedDemoUsers(db, clock.now(), { dataDir: config.dataDir }),
          }
        : undefined;
    if (demo && options.seedDemoSettlement) await seedDemoSettlement(db, connection!.dialect, clock.now());

    let payments: PaymentService | undefined;
    let notifications: NotificationService | undefined;
    let refunds: RefundService | undefined;
    let registrations: SubBrandReviewService | undefined;
    let worker: JobWorker | undefined;
    let breaker: AlipayPlusBreaker | undefined;
    const apps: Runtime['apps'] = {};
    // The demo's gateway fetches reports from the sandbox's SFTP server, whose port is known once
    // it listens (it starts after the worker).
    let sandboxSftpPort: number | undefined;
    const reportSource = (): ReportSource | undefined => reportSourceOf(config, sandboxSftpPort);

    if (components.gateway || components.jobs) {
      requireAlipayPlusSettings(config);
      const keys = gatewayKeys(config);
      const guard = new AlipayPlusBreaker({
        db,
        clock,
        logger,
        ...(options.breakerHalfOpenAfterMs ? { halfOpenAfterMs: options.breakerHalfOpenAfterMs } : {}),
      });
      breaker = guard;
      started.push(() => guard.settled());
      const metrics = createMetrics(db, clock, guard);
      const provider = createAlipayPlusConnector(config, keys, clock, { metrics, guard });
      const wakeJobs = options.wakeJobs ?? ((kind?: string) => worker?.wake(kind));
      notifications = new NotificationService({
        db,
        format: a02ResultNotification,
        clock,
        mode: config.mode,
        wakeJobs,
        answerTimeoutMs: options.notificationAnswerTimeoutMs,
        resolve: options.resolve,
        metrics,
      });
      payments = new PaymentService({
        db,
        clock,
        ids: randomIds,
        provider,
        notifications,
        wakeJobs,
        gatewayPublicUrl: config.gateway.publicUrl,
        findService: (merchantId, serviceId) => findServiceWithMerchant(db, merchantId, serviceId),
        logger,
      });
      refunds = new RefundService({ db, clock, ids: randomIds, provider, wakeJobs, metrics });
      registrations = new SubBrandReviewService({
        db,
        clock,
        ids: randomIds,
        provider,
        gatewayPublicUrl: config.gateway.publicUrl,
        wakeJobs,
      });
      if (components.jobs) {
        const p = payments.jobs;
        const n = notifications;
        const r = refunds;
        const g = registrations;
        const mailer = new NoticeMailer({
          db,
          clock,
          smtp: config.smtp,
          gatewayPublicUrl: config.gateway.publicUrl,
        });
        started.push(async () => mailer.close());
        worker = new JobWorker({
          db,
          dialect: connection!.dialect,
          clock,
          logger,
          pollIntervalMs: options.jobPollIntervalMs,
          // A merchant (and the shopper on the return page) waits for each A02-1.
          firstKinds: [DELIVER_NOTIFICATION],
          handlers: {
            [DELIVER_NOTIFICATION]: (job, ctx) => n.deliver(job, ctx),
            [JOB_EXPIRE_SELECTION]: (job) => p.handleExpireSelection(job),
            [JOB_DEADLINE]: (job) => p.handleDeadline(job),
            [JOB_CANCEL]: (job) => p.handleCancel(job),
            [JOB_REVERSE_LATE_PAYMENT]: (job) => p.handleReverseLatePayment(job),
            [JOB_RESEND_REFUND]: (job) => r.handleResend(job),
            [JOB_SEND_REGISTRATION]: (job) => g.handleSend(job),
            [JOB_INQUIRE_REGISTRATION]: (job) => g.handleInquire(job),
            [JOB_SEND_NOTICE_EMAIL]: (job) => mailer.send(job),
            [JOB_EFFECTIVE_NOTICE]: async (job) => {
              const edge = job.payload as EffectiveEdge;
              await db.transaction().execute((tx) => postEffectiveNotice(tx, edge, clock.now()));
              return { type: 'done' };
            },
            [JOB_MAINTENANCE_NOTICE]: async (job) => {
              const { windowId, stage } = job.payload as { windowId: number; stage: MaintenanceStage };
              await db.transaction().execute((tx) => postMaintenanceStage(tx, windowId, stage, clock.now()));
              return { type: 'done' };
            },
            [SETTLEMENT_FETCH_JOB]: settlementFetchJob({ db, source: reportSource, logger }),
            [SETTLEMENT_CLOSE_JOB]: settlementCloseJob({ db, logger }),
          },
        });
        if (config.alipayplus.reports)
          await scheduleSettlementFetch(db, clearingDay(clock.now().getTime()), clock.now());
        // Yesterday's close is due at once: a period that ended while nothing ran is closed now.
        await scheduleSettlementClose(db, jstDate(startOfJstDay(clock.now(), -1)), clock.now());
        const w = worker;
        started.push(() => w.stop());
      }
      if (components.gateway) {
        const gateway = await buildGatewayApp({
          config,
          db,
          clock,
          payments,
          notifications,
          refunds,
          registrations,
          keys,
          logger,
          resolve: options.resolve,
          metrics,
        });
        await listen(gateway, config.host, config.gateway.port, 'KESSAI_GATEWAY_PORT', started);
        apps.gateway = gateway;
      }
      if (config.metrics.port !== undefined) {
        const listener = buildMetricsApp(metrics.registry, logger);
        await listen(listener, config.metrics.host, config.metrics.port, 'KESSAI_METRICS_PORT', started);
        apps.metrics = listener;
      }
    }

    if (components.sandbox) {
      const pair = sandboxKeyPair(config);
      const clients: Record<string, string> = {};
      // In the all-in-one demo the sandbox knows the gateway's public key from the start.
      if (components.gateway) clients[config.alipayplus.clientId] = gatewayKeys(config).publicKeyPem;
      const sandbox = await buildSandboxApp({
        databaseUrl: config.sandbox.databaseUrl,
        publicUrl: config.sandbox.publicUrl,
        timeFactor: config.sandbox.timeFactor,
        reviewSeconds: config.sandbox.reviewSeconds,
        controlToken: config.sandbox.controlToken,
        privateKeyPem: pair.privateKeyPem,
        publicKeyPem: pair.publicKeyPem,
        clients,
        ...(options.sandboxClock ? { clock: options.sandboxClock } : {}),
        reports: {
          root: join(config.dataDir, 'sandbox-reports', config.sandbox.reports.participantId),
          participantId: config.sandbox.reports.participantId,
          feeBps: config.sandbox.reports.feeBps,
          settlementLagDays: config.sandbox.reports.settlementLagDays,
          sftp: {
            host: config.host,
            port: config.sandbox.reports.sftpPort,
            username: config.sandbox.reports.sftpUser,
            password: config.sandbox.reports.sftpPassword,
            hostKey: sandboxSftpHostKey(config),
          },
        },
      }).catch((error: unknown) => {
        if ((error as { code?: unknown }).code !== 'EADDRINUSE') throw error;
        throw new PortInUseError(
          `port ${config.sandbox.reports.sftpPort} on ${config.host} (KESSAI_SANDBOX_SFTP_PORT) is already in use — ` +
            'is another Kessai still running? Stop it, or choose a free port with KESSAI_SANDBOX_SFTP_PORT.',
        );
      });
      await listen(sandbox, config.host, config.sandbox.port, 'KESSAI_SANDBOX_PORT', started);
      apps.sandbox = sandbox;
      sandboxSftpPort = reportSftpPort(sandbox);
    }

    if (components.shop) {
      if (!demo) throw new Error('the demo shop needs the demo merchant (demo mode)');
      const shop = await buildShopApp({
        publicUrl: config.shop.publicUrl,
        gatewayUrl: config.gateway.publicUrl,
        merchantId: DEMO_MERCHANT_ID,
        serviceId: DEMO_SERVICE_ID,
        hashKey: demo.hashKey,
        apiPassword: () => currentDemoApiPassword(db, config.dataDir, config.demo.apiPassword),
        encoding: 'Shift_JIS',
        clock,
      });
      await listen(shop, config.host, config.shop.port, 'KESSAI_SHOP_PORT', started);
      apps.shop = shop;
    }

    // The worker starts once everything listens: after an outage thousands of jobs may be overdue,
    // and their runs, queued on the same database connection, must not hold back the apps' start
    // (Fastify gives its plugins 10 s), nor call a sandbox of this process that is not up yet.
    worker?.start();

    // The demo merchant is registered with Alipay+ (the sandbox) like any other, once: at the
    // first start, when it has never applied for a sub-brand (governance.md §1). Last, so that
    // the sandbox already listens when the job sends it.
    if (demo && registrations && (await subBrandStates(db, DEMO_MERCHANT_ID)).length === 0) {
      await registrations.apply(DEMO_MERCHANT_ID, SUB_BRAND_CODES, 'demo first start');
    }

    return {
      config,
      db,
      payments,
      notifications,
      refunds,
      registrations,
      worker,
      breaker,
      apps,
      demo,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * Where the gateway fetches Alipay+'s reports: the configured server, or in the demo the sandbox's
 * (its port as it listens in this process, else as configured).
 */
export function reportSourceOf(config: Config, sandboxSftpPort?: number): ReportSource | undefined {
  const settings = config.alipayplus.reports;
  if (!settings) return undefined;
  const port = settings.port ?? sandboxSftpPort ?? config.sandbox.reports.sftpPort;
  if (!port) return undefined;
  return {
    host: settings.host,
    port,
    user: settings.user,
    password: settings.password,
    participantId: settings.participantId,
    hostKeyFingerprint: settings.hostKeyFingerprint ?? sshHostKeyFingerprint(sandboxSftpHostKey(config)),
    feeBps: settings.feeBps,
  };
}

/** A port another process holds; keeps the `EADDRINUSE` code for callers that retry on it. */
export class PortInUseError extends Error {
  readonly code = 'EADDRINUSE';
}

async function listen(
  app: FastifyInstance,
  host: string,
  port: number,
  setting: string,
  started: Array<() => Promise<void>>,
): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    await app.close();
    if ((error as { code?: unknown }).code !== 'EADDRINUSE') throw error;
    throw new PortInUseError(
      `port ${port} on ${host} (${setting}) is already in use — is another Kessai still running? ` +
        'Stop it, or choose free ports with KESSAI_GATEWAY_PORT, KESSAI_SANDBOX_PORT and KESSAI_SHOP_PORT.',
    );
  }
  started.push(() => app.close());
}
