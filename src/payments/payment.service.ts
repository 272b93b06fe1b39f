import { CancelProtocol } from './cancel-protocol';
import { findPaymentByOrderId, findPaymentByTrackingId, type Payment } from './payment.repository';
import type { PaymentServiceDeps } from './payment-context';
import { PaymentJobs } from './payment-jobs';
import { ProviderResults } from './provider-results';
import { ShopperFlow } from './shopper-flow';

export type { Payment } from './payment.repository';
export type { ShopperOutcome } from './shopper-flow';

/**
 * The payment domain service: every channel and job changes payments through it. Each role has
 * its own file — the shopper's flow (`shopper-flow.ts`), what Alipay+ reports and the capture
 * (`provider-results.ts`), the cancel protocol (`cancel-protocol.ts`), how a payment ends
 * (`endings.ts`) and the jobs (`payment-jobs.ts`); every status change is one `recordTransition`.
 */
export class PaymentService {
  private readonly shopper: ShopperFlow;
  private readonly results: ProviderResults;
  /** The job handlers, registered with the job worker by kind (`payment-schedule.ts`). */
  readonly jobs: PaymentJobs;

  constructor(private readonly deps: PaymentServiceDeps) {
    this.results = new ProviderResults(deps);
    const cancels = new CancelProtocol(deps, this.results);
    this.shopper = new ShopperFlow(deps, this.results, cancels);
    this.jobs = new PaymentJobs(deps, this.results, cancels);
  }

  createPayment: ShopperFlow['createPayment'] = (input) => this.shopper.createPayment(input);
  findByToken: ShopperFlow['findByToken'] = (token) => this.shopper.findByToken(token);
  startAlipay: ShopperFlow['startAlipay'] = (token, service) => this.shopper.startAlipay(token, service);
  continueToAlipay: ShopperFlow['continueToAlipay'] = (payment, service) =>
    this.shopper.continueToAlipay(payment, service);
  settleOnReturn: ShopperFlow['settleOnReturn'] = (token) => this.shopper.settleOnReturn(token);
  cancelByShopper: ShopperFlow['cancelByShopper'] = (token) => this.shopper.cancelByShopper(token);
  applyNotification: ProviderResults['applyNotification'] = (input) => this.results.applyNotification(input);

  findByTrackingId(trackingId: string): Promise<Payment | undefined> {
    return findPaymentByTrackingId(this.deps.db, trackingId);
  }

  /** The payment a merchant's order id made (an order id is used once per service). */
  findByOrderId(merchantId: string, serviceId: string, orderId: string): Promise<Payment | undefined> {
    return findPaymentByOrderId(this.deps.db, merchantId, serviceId, orderId);
  }
}
