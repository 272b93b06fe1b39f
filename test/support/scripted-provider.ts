import type {
  CancelOutcome,
  InquiryOutcome,
  PaidDetails,
  PayCommand,
  PaymentProvider,
  PayOutcome,
  RefundCommandToProvider,
  RefundProviderOutcome,
  WithExchange,
} from '../../src/payments/payment-provider';

/**
 * An in-memory `PaymentProvider` that answers from a script, so that the domain services can be
 * tested on both databases without HTTP, keys or a sandbox. Each API has its own queue of answers,
 * one per call, in order: a domain outcome (S, F or U in Alipay+'s words) or `{ throws }` for a
 * call that fails outright. A call with nothing scripted throws, naming the call, so a test
 * cannot pass by a call it did not expect. Every call is recorded with its argument.
 */
export type ProviderApi = 'pay' | 'inquire' | 'cancel' | 'refund';

interface Answers {
  pay: PayOutcome;
  inquire: InquiryOutcome;
  cancel: CancelOutcome;
  refund: RefundProviderOutcome;
}

interface Arguments {
  pay: PayCommand;
  inquire: string;
  cancel: string;
  refund: RefundCommandToProvider;
}

export type ScriptStep<A extends ProviderApi> = Answers[A] | { throws: Error };

export type ProviderCall = { [A in ProviderApi]: { api: A; argument: Arguments[A] } }[ProviderApi];

export class ScriptedProvider implements PaymentProvider {
  readonly calls: ProviderCall[] = [];
  private readonly scripts: { [A in ProviderApi]: ScriptStep<A>[] } = {
    pay: [],
    inquire: [],
    cancel: [],
    refund: [],
  };

  /** Queues the answers to the next calls of `api`, one per call. */
  script<A extends ProviderApi>(api: A, ...steps: ScriptStep<A>[]): this {
    (this.scripts[api] as ScriptStep<A>[]).push(...steps);
    return this;
  }

  /** The calls of one API, in order. */
  callsOf<A extends ProviderApi>(api: A): Arguments[A][] {
    return this.calls.filter((call) => call.api === api).map((call) => call.argument as Arguments[A]);
  }

  /** How many scripted answers are still unused, over all APIs. */
  unused(): number {
    return Object.values(this.scripts).reduce((sum, steps) => sum + steps.length, 0);
  }

  pay(command: PayCommand) {
    return this.answer('pay', command);
  }

  inquire(paymentRequestId: string) {
    return this.answer('inquire', paymentRequestId);
  }

  cancel(paymentRequestId: string) {
    return this.answer('cancel', paymentRequestId);
  }

  refund(command: RefundCommandToProvider) {
    return this.answer('refund', command);
  }

  private async answer<A extends ProviderApi>(
    api: A,
    argument: Arguments[A],
  ): Promise<WithExchange<Answers[A]>> {
    this.calls.push({ api, argument } as ProviderCall);
    const step = (this.scripts[api] as ScriptStep<A>[]).shift();
    if (step === undefined) {
      throw new Error(`ScriptedProvider: ${api} call #${this.callsOf(api).length} has no scripted answer`);
    }
    if ('throws' in step) throw step.throws;
    const known = step.kind !== 'unknown';
    return {
      outcome: step,
      exchange: {
        api,
        requestBody: JSON.stringify(argument),
        responseStatus: known ? 200 : null,
        responseBody: known ? JSON.stringify(step) : null,
        durationMs: 0,
      },
    };
  }
}

/** What Alipay+ says about a payment of `amount` yen that was paid. */
export function paidDetails(amount: number, overrides: Partial<PaidDetails> = {}): PaidDetails {
  return {
    amount: { currency: 'JPY', value: String(amount) },
    providerPaymentId: 'ALIPAY-PAYMENT-1',
    paidAt: new Date('2026-12-05T01:02:03Z'),
    wallet: 'ALIPAY_CN',
    quoteCurrencyPair: null,
    quotePrice: null,
    acquirerId: 'ACQ-1',
    ...overrides,
  };
}
