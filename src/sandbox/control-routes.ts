import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type Clock, OffsetClock } from '../kernel/clock';
import { loadPublicKey } from '../kernel/rsa';
import { type FaultTable, faultRequestSchema } from './faults';
import type { Notifier } from './notifier';
import type { SandboxRegistrations } from './registrations';
import type { ReportGenerator } from './reports/report-generator';
import { type SandboxService, ShopperError } from './sandbox-service';
import type { SandboxSigner } from './signer';
import type { SandboxStore } from './store';
import { paymentIdFromCashierUrl } from './urls';
import { isTestUser, isWalletId, TEST_USER_NAMES, WALLET_IDS } from './wallets';

export interface ControlRouteDeps {
  service: SandboxService;
  store: SandboxStore;
  faults: FaultTable;
  clock: Clock;
  notifier: Notifier;
  registrations: SandboxRegistrations;
  signer: SandboxSigner;
  publicKeyPem: string;
  /** The report writer, when this sandbox writes reports. */
  reports?: ReportGenerator;
}

/** A wallet's review decision on the console (governance.md §1); a rejection needs its reason. */
const reviewSchema = z
  .object({
    decision: z.enum(['APPROVED', 'REJECTED']),
    reason: z.string().trim().max(256).optional(),
  })
  .refine((b) => b.decision === 'APPROVED' || (b.reason ?? '') !== '', {
    message: 'reason: required to reject',
  });

const walletId = z.string().refine(isWalletId, { message: `must be one of ${WALLET_IDS.join(', ')}` });

const simulatePaySchema = z
  .object({
    paymentRequestId: z.string().min(1).max(64).optional(),
    paymentId: z.string().min(1).max(64).optional(),
    cashierUrl: z.string().min(1).max(2048).optional(),
    wallet: walletId,
    user: z
      .string()
      .refine(isTestUser, { message: `must be one of ${TEST_USER_NAMES.join(', ')}` })
      .default('alice'),
    action: z.enum(['pay', 'cancel']).default('pay'),
  })
  .strict()
  .refine((b) => [b.paymentRequestId, b.paymentId, b.cashierUrl].filter(Boolean).length === 1, {
    message: 'give exactly one of paymentRequestId, paymentId, cashierUrl',
  });

const walletsSchema = z.object({ wallets: z.array(walletId).max(WALLET_IDS.length) }).strict();
const clockSchema = z.object({ offsetMs: z.number().int().min(-1e13).max(1e13) }).strict();
const clientSchema = z.object({ publicKey: z.string().min(1).max(8192) }).strict();
const NO_ORDER = 'no such order';
const CLIENT_ID = /^[A-Za-z0-9_.-]{1,64}$/;

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  throw new BadRequest(
    parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '),
  );
}

class BadRequest extends Error {
  readonly statusCode = 400;
}

/** Forms from the console come back to the console; JSON callers get JSON. */
function fromConsole(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

/** The sandbox's control API (sandbox.md, Control API), for tests, demos and benchmarks. */
export async function controlRoutes(app: FastifyInstance, deps: ControlRouteDeps): Promise<void> {
  const { service, store, faults, clock, notifier, signer } = deps;
  // The console's buttons post forms to the routes below.
  await app.register(formbody);

  app.post('/sandbox/v1/simulate/pay', async (request, reply) => {
    const body = parse(simulatePaySchema, request.body);
    const fromUrl = body.cashierUrl ? paymentIdFromCashierUrl(body.cashierUrl) : null;
    if (body.cashierUrl && !fromUrl) throw new BadRequest('cashierUrl: not a sandbox cashier URL');
    if (!isWalletId(body.wallet) || !isTestUser(body.user)) throw new BadRequest('wallet or user invalid');
    // The shopper's step reads the order itself (an unknown one is a ShopperError, 404 below):
    // only a paymentRequestId needs a look-up first.
    const paymentId =
      body.paymentId ?? fromUrl ?? (await service.orderByRequestId(body.paymentRequestId ?? ''))?.payment_id;
    if (!paymentId) return reply.code(404).send({ error: NO_ORDER });
    const outcome =
      body.action === 'pay'
        ? await service.shopperPays(paymentId, body.wallet, body.user)
        : await service.shopperCancels(paymentId, body.wallet);
    const paid = outcome.order;
    return reply.send({
      status: outcome.status,
      resultCode: outcome.resultCode,
      redirectUrl: outcome.redirectUrl,
      paymentId: paid.payment_id,
      ...(paid.wallet_currency && paid.wallet_amount
        ? { walletAmount: { currency: paid.wallet_currency, value: paid.wallet_amount } }
        : {}),
    });
  });

  app.get('/sandbox/v1/faults', async () => ({ faults: faults.list() }));
  app.post('/sandbox/v1/faults', async (request, reply) => {
    const fault = faults.add(parse(faultRequestSchema, request.body));
    return reply.code(201).send(fault);
  });
  app.delete('/sandbox/v1/faults', async (_request, reply) => {
    faults.clear();
    return reply.code(204).send();
  });

  // Writes the reports due by the sandbox's clock now, instead of at the writer's next tick.
  app.post('/sandbox/v1/reports/run', async (_request, reply) => {
    if (!deps.reports) return reply.code(404).send({ error: 'this sandbox writes no reports' });
    return { written: await deps.reports.run() };
  });

  app.get<{ Params: { merchantId: string } }>(
    '/sandbox/v1/merchants/:merchantId/wallets',
    async (request) => ({
      referenceMerchantId: request.params.merchantId,
      wallets: await service.merchantWallets(request.params.merchantId),
    }),
  );
  app.put<{ Params: { merchantId: string } }>(
    '/sandbox/v1/merchants/:merchantId/wallets',
    async (request) => {
      const { merchantId } = request.params;
      if (merchantId.length > 64) throw new BadRequest('referenceMerchantId is longer than 64 characters');
      const wallets = [...new Set(parse(walletsSchema, request.body).wallets)];
      await store.putMerchantWallets(merchantId, wallets, clock.now().getTime());
      return { referenceMerchantId: merchantId, wallets };
    },
  );

  function clockState() {
    return {
      offsetMs: clock instanceof OffsetClock ? clock.offset : null,
      now: clock.now().toISOString(),
    };
  }
  app.get('/sandbox/v1/clock', async () => clockState());
  app.post('/sandbox/v1/clock', async (request, reply) => {
    const { offsetMs } = parse(clockSchema, request.body);
    if (!(clock instanceof OffsetClock)) {
      return reply.code(409).send({ error: 'this sandbox runs on a clock that cannot be moved' });
    }
    clock.set(offsetMs);
    // Orders due by the new time close now, as at their expiry time; timers were set for the old
    // time, and pending notifications are due by the new one.
    await service.sweep();
    await notifier.rearm();
    return clockState();
  });

  app.put<{ Params: { clientId: string } }>('/sandbox/v1/clients/:clientId', async (request) => {
    const { clientId } = request.params;
    if (!CLIENT_ID.test(clientId)) throw new BadRequest('clientId: 1–64 letters, digits, "_", "." or "-"');
    const { publicKey } = parse(clientSchema, request.body);
    try {
      loadPublicKey(publicKey);
    } catch {
      throw new BadRequest('publicKey: not an RSA public key (PEM, or bare base64 X.509/SPKI)');
    }
    await store.putClient(clientId, publicKey, clock.now().getTime());
    signer.forgetClient(clientId);
    return { clientId };
  });

  app.get('/sandbox/v1/public-key', async (_request, reply) =>
    reply.type('application/x-pem-file; charset=utf-8').send(deps.publicKeyPem),
  );

  app.get<{ Params: { paymentId: string } }>('/sandbox/v1/orders/:paymentId', async (request, reply) => {
    const order = await service.order(request.params.paymentId);
    if (!order) return reply.code(404).send({ error: NO_ORDER });
    const notifications = await store.notificationsOf(order.payment_id);
    const attempts = await store.attemptsOf(notifications.map((n) => n.id));
    return {
      order,
      refunds: await store.refundsOf(order.payment_id),
      notifications: notifications.map((n) => ({
        ...n,
        attemptLog: attempts.filter((a) => a.notification_id === n.id),
      })),
    };
  });

  app.post<{ Params: { paymentId: string } }>(
    '/sandbox/v1/orders/:paymentId/expire',
    async (request, reply) => {
      const order = await service.order(request.params.paymentId);
      if (!order) return reply.code(404).send({ error: NO_ORDER });
      const expired = await service.expireNow(order.payment_id);
      if (fromConsole(request)) return reply.redirect('/sandbox', 303);
      return expired
        ? { expired }
        : reply.code(409).send({ error: `the order is ${order.status}, not open` });
    },
  );

  app.post<{ Params: { registrationRequestId: string; psp: string } }>(
    '/sandbox/v1/registrations/:registrationRequestId/psps/:psp',
    async (request, reply) => {
      const { registrationRequestId, psp } = request.params;
      const body = parse(reviewSchema, request.body);
      const psps = await store.registrationPsps(registrationRequestId);
      if (!psps.some((p) => p.psp_name === psp)) {
        return reply.code(404).send({ error: 'no such registration or wallet' });
      }
      const decided = await deps.registrations.decide(
        registrationRequestId,
        psp,
        body.decision,
        body.decision === 'REJECTED' ? (body.reason ?? null) : null,
      );
      if (fromConsole(request)) return reply.redirect('/sandbox#registrations', 303);
      return decided
        ? { registrationRequestId, psp, status: body.decision }
        : reply.code(409).send({ error: `${psp} has already decided` });
    },
  );

  app.post<{ Params: { id: string } }>('/sandbox/v1/notifications/:id/resend', async (request, reply) => {
    const id = Number(request.params.id);
    if (!Number.isSafeInteger(id) || id <= 0) throw new BadRequest('id: not a notification id');
    if (!(await notifier.resend(id))) return reply.code(404).send({ error: 'no such notification' });
    if (fromConsole(request)) return reply.redirect('/sandbox', 303);
    return reply.code(202).send({ resent: id });
  });

  app.setErrorHandler(async (error: Error & { statusCode?: number }, request, reply) => {
    if (error instanceof ShopperError) {
      if (error.kind === 'NOT_FOUND') return reply.code(404).send({ error: NO_ORDER });
      return reply.code(422).send({ error: error.message });
    }
    if (error.statusCode && error.statusCode < 500)
      return reply.code(error.statusCode).send({ error: error.message });
    request.log.error({ err: error }, 'sandbox control call failed');
    return reply.code(500).send({ error: 'internal error' });
  });
}
