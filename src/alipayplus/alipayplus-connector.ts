import type {
  RegistrationCommand,
  RegistrationOutcome,
  RegistrationProvider,
  RegistrationReport,
} from '../governance/registration';
import { formatJstIso, jstDateStartIso } from '../kernel/jst';
import type {
  CancelOutcome,
  InquiryOutcome,
  InquiryWithTransactions,
  PayCommand,
  PaymentProvider,
  PayOutcome,
  RefundCommandToProvider,
  RefundProviderOutcome,
  WithExchange,
} from '../payments/payment-provider';
import type { AlipayPlusClient } from './alipayplus-client';
import type {
  PaymentRefMessage,
  PayRequestMessage,
  RefundRequestMessage,
  RegistrationInquiryMessage,
  RegistrationRequestMessage,
} from './messages';
import {
  mapCancel,
  mapInquiry,
  mapPay,
  mapRefund,
  mapRegistration,
  mapRegistrationInquiry,
  mapTransactions,
} from './outcomes';

/** API paths (alipayplus.md, Endpoints). */
export const ALIPAYPLUS_PATHS = {
  pay: '/aps/api/v1/payments/pay',
  inquiryPayment: '/aps/api/v1/payments/inquiryPayment',
  cancelPayment: '/aps/api/v1/payments/cancelPayment',
  refund: '/aps/api/v1/payments/refund',
  registration: '/aps/api/v1/merchants/registration',
  inquiryRegistrationStatus: '/aps/api/v1/merchants/inquiryRegistrationStatus',
} as const;

/** The longest `env.userAgent` the Alipay+ sandbox accepts (and the gateway sends). */
const MAX_USER_AGENT_CHARS = 1024;

export interface ConnectorTimeouts {
  /** pay, cancel and refund (8 s by default). */
  timeoutMs: number;
  /** inquiry (5 s by default). */
  inquiryTimeoutMs: number;
}

/** Translates the domain's commands into Alipay+ messages and the answers back into outcomes. */
export class AlipayPlusConnector implements PaymentProvider, RegistrationProvider {
  constructor(
    private readonly client: AlipayPlusClient,
    private readonly timeouts: ConnectorTimeouts,
  ) {}

  async pay(command: PayCommand): Promise<WithExchange<PayOutcome>> {
    const amount = { currency: 'JPY', value: String(command.amount) };
    // Optional fields are omitted rather than empty, and a User-Agent is cut to what Alipay+ takes.
    const env: PayRequestMessage['order']['env'] = { terminalType: command.terminal };
    if (command.userAgent !== '') env.userAgent = command.userAgent.slice(0, MAX_USER_AGENT_CHARS);
    if (command.clientIp !== '') env.clientIp = command.clientIp;
    if (command.terminal === 'WAP' && command.osType) env.osType = command.osType;
    const request: PayRequestMessage = {
      paymentRequestId: command.paymentRequestId,
      allowedPspNames: command.allowedSubBrands,
      paymentAmount: amount,
      paymentMethod: { paymentMethodType: 'CONNECT_WALLET' },
      paymentFactor: { isInStorePayment: 'false', isCashierPayment: 'true', presentmentMode: 'UNIFIED' },
      paymentExpiryTime: formatJstIso(command.expiresAt),
      paymentNotifyUrl: command.notifyUrl,
      paymentRedirectUrl: command.redirectUrl,
      settlementStrategy: { settlementCurrency: 'JPY' },
      order: {
        referenceOrderId: command.trackingId,
        orderDescription: command.description,
        orderAmount: amount,
        merchant: {
          referenceMerchantId: command.merchant.merchantId,
          merchantMCC: command.merchant.mcc,
          merchantName: command.merchant.name,
          merchantDisplayName: command.merchant.displayName,
          merchantAddress: { region: command.merchant.region, city: command.merchant.city },
          // A Datetime for Alipay+; the merchant record keeps the (JST) date only.
          merchantRegisterDate: jstDateStartIso(command.merchant.registeredOn),
        },
        buyer: { referenceBuyerId: command.buyerId },
        env,
      },
    };
    const { body, exchange } = await this.client.call(ALIPAYPLUS_PATHS.pay, request, this.timeouts.timeoutMs);
    return { outcome: mapPay(body), exchange };
  }

  async inquire(paymentRequestId: string): Promise<WithExchange<InquiryOutcome>> {
    const { body, exchange } = await this.callInquiry(paymentRequestId);
    return { outcome: mapInquiry(body), exchange };
  }

  /** The same inquiry, also reading Alipay+'s ledger of the payment (for reconciliation). */
  async inquireWithTransactions(paymentRequestId: string): Promise<WithExchange<InquiryWithTransactions>> {
    const { body, exchange } = await this.callInquiry(paymentRequestId);
    return { outcome: { outcome: mapInquiry(body), transactions: mapTransactions(body) }, exchange };
  }

  private callInquiry(paymentRequestId: string) {
    return this.client.call(
      ALIPAYPLUS_PATHS.inquiryPayment,
      { paymentRequestId } satisfies PaymentRefMessage,
      this.timeouts.inquiryTimeoutMs,
    );
  }

  async cancel(paymentRequestId: string): Promise<WithExchange<CancelOutcome>> {
    const { body, exchange } = await this.client.call(
      ALIPAYPLUS_PATHS.cancelPayment,
      { paymentRequestId } satisfies PaymentRefMessage,
      this.timeouts.timeoutMs,
    );
    return { outcome: mapCancel(body), exchange };
  }

  async refund(command: RefundCommandToProvider): Promise<WithExchange<RefundProviderOutcome>> {
    const { body, exchange } = await this.client.call(
      ALIPAYPLUS_PATHS.refund,
      {
        refundRequestId: command.refundRequestId,
        paymentRequestId: command.paymentRequestId,
        refundAmount: { currency: 'JPY', value: String(command.amount) },
        refundReason: command.reason,
      } satisfies RefundRequestMessage,
      this.timeouts.timeoutMs,
    );
    return { outcome: mapRefund(body), exchange };
  }

  async register(command: RegistrationCommand): Promise<WithExchange<RegistrationOutcome>> {
    const { merchant } = command;
    const request: RegistrationRequestMessage = {
      registrationRequestId: command.registrationRequestId,
      registrationNotifyURL: command.notifyUrl,
      productCodes: ['CASHIER_PAYMENT'],
      merchantInfo: {
        referenceMerchantId: merchant.merchantId,
        merchantDisplayName: merchant.displayName,
        merchantMCC: merchant.mcc,
        merchantAddress: {
          region: merchant.region,
          city: merchant.city,
          ...present({ address1: merchant.address1, zipCode: merchant.zipCode }),
        },
        websites: command.websites.map((url) => ({ url })),
        registrationDetail: {
          legalName: merchant.name,
          ...present({ registrationNumber: merchant.registrationNumber }),
          businessType: 'ENTERPRISE',
        },
      },
      pspNames: command.subBrands,
    };
    const { body, exchange } = await this.client.call(
      ALIPAYPLUS_PATHS.registration,
      request,
      this.timeouts.timeoutMs,
    );
    return { outcome: mapRegistration(body), exchange };
  }

  async inquireRegistration(
    registrationRequestId: string,
  ): Promise<WithExchange<RegistrationReport | undefined>> {
    const { body, exchange } = await this.client.call(
      ALIPAYPLUS_PATHS.inquiryRegistrationStatus,
      { registrationRequestId } satisfies RegistrationInquiryMessage,
      this.timeouts.inquiryTimeoutMs,
    );
    return { outcome: mapRegistrationInquiry(body), exchange };
  }
}

/** The fields that have a value: an unknown address part or corporate number is left out, not sent empty. */
function present(fields: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value.trim() !== ''));
}
