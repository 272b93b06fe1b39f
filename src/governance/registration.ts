import type { SubBrandCode } from '../merchants/sub-brands';
import type { WithExchange } from '../payments/payment-provider';

/**
 * What the gateway and Alipay+ say to each other about a merchant registration (governance.md §1),
 * in the domain's words; the connector translates them to and from the wire messages.
 */
export interface RegistrationCommand {
  registrationRequestId: string;
  notifyUrl: string;
  merchant: {
    merchantId: string;
    name: string;
    displayName: string;
    mcc: string;
    city: string;
    region: string;
    /** Street address, postcode and corporate number (法人番号); '' when not known (left out). */
    address1: string;
    zipCode: string;
    registrationNumber: string;
  };
  websites: string[];
  subBrands: SubBrandCode[];
}

/** `registration`'s answer: accepted (review running), refused for good, or unknown (re-send). */
export type RegistrationOutcome =
  | { type: 'accepted' }
  | { type: 'failed'; code: string }
  | { type: 'unknown' };

export type PspReviewStatus = 'PENDING' | 'APPROVED' | 'REJECTED';

/** The state of a registration, from `notifyRegistrationStatus` or `inquiryRegistrationStatus`. */
export interface RegistrationReport {
  registrationRequestId: string;
  merchantId: string;
  status: 'PROCESSING' | 'COMPLETED' | 'FAILED';
  reason: string | null;
  psps: Array<{ subBrand: SubBrandCode; status: PspReviewStatus; reason: string | null }>;
}

export interface RegistrationProvider {
  register(command: RegistrationCommand): Promise<WithExchange<RegistrationOutcome>>;
  /** `undefined` when the answer was not a readable, successful inquiry (ask again later). */
  inquireRegistration(registrationRequestId: string): Promise<WithExchange<RegistrationReport | undefined>>;
}
