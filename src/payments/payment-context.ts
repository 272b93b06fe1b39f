import type { Kysely } from 'kysely';
import type { Database, Db } from '../db/database';
import type { Clock } from '../kernel/clock';
import type { IdSource } from '../kernel/ids';
import type { ServiceWithMerchant } from '../merchants/merchant.repository';
import type { NotificationService } from '../notifications/notification.service';
import { findPaymentByTrackingId, type Payment, recordExchange } from './payment.repository';
import type { PaymentProvider, ProviderExchange } from './payment-provider';

/** What every part of the payment domain service works with (built in `src/app/runtime.ts`). */
export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PaymentServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  ids: IdSource;
  provider: PaymentProvider;
  notifications: NotificationService;
  /** Asks the job worker to look for due jobs of `kind` (of every kind when none is named) now. */
  wakeJobs: (kind?: string) => void;
  /** Absolute base of the gateway, for `paymentNotifyUrl` and `paymentRedirectUrl`. */
  gatewayPublicUrl: string;
  findService: (merchantId: string, serviceId: string) => Promise<ServiceWithMerchant | undefined>;
  logger: Logger;
}

/** One exchange with Alipay+ about a payment, and the outcome it was read as. */
export interface KeptExchange {
  trackingId: string;
  exchange: ProviderExchange;
  outcome: string;
}

/** Keeps one exchange with Alipay+ for the console, in a commit of its own. */
export async function keepExchange(
  deps: PaymentServiceDeps,
  trackingId: string,
  exchange: ProviderExchange,
  outcome: string,
): Promise<void> {
  await keepExchangeIn(deps.db, deps, { trackingId, exchange, outcome });
}

/**
 * Keeps an exchange (if any) with `db`: inside the transaction that records what the exchange
 * decided, so one commit holds both.
 */
export async function keepExchangeIn(
  db: Db,
  deps: Pick<PaymentServiceDeps, 'clock'>,
  kept: KeptExchange | undefined,
): Promise<void> {
  if (kept) await recordExchange(db, kept.trackingId, kept.exchange, kept.outcome, deps.clock.now());
}

/** The payment as it is now: other writers may have moved it since it was read. */
export async function reloadPayment(deps: PaymentServiceDeps, payment: Payment): Promise<Payment> {
  return (await findPaymentByTrackingId(deps.db, payment.tracking_id)) ?? payment;
}
