import type { Db, ServiceRow } from '../db/database';
import {
  findMerchant,
  findService,
  findServiceWithMerchant,
  type ServiceWithMerchant,
} from './merchant.repository';
import { type PaymentErrorInput, recordPaymentError } from './payment-error.repository';

export type { PaymentErrorInput, ServiceWithMerchant };

/**
 * Merchants and services as the channels read them, and the payment-error log they write: the
 * channels reach this data through here, never through the repositories.
 */
export class MerchantService {
  constructor(private readonly db: Db) {}

  /** The service with its merchant and approved sub-brands: what the purchase checks and `pay` need. */
  findServiceWithMerchant(merchantId: string, serviceId: string): Promise<ServiceWithMerchant | undefined> {
    return findServiceWithMerchant(this.db, merchantId, serviceId);
  }

  /** The service alone (hash key, encoding, API password digest). */
  findService(merchantId: string, serviceId: string): Promise<ServiceRow | undefined> {
    return findService(this.db, merchantId, serviceId);
  }

  async merchantDisplayName(merchantId: string): Promise<string | undefined> {
    return (await findMerchant(this.db, merchantId))?.display_name;
  }

  /** A refused purchase request, for the merchant's payment-error log. */
  recordPaymentError(entry: PaymentErrorInput): Promise<void> {
    return recordPaymentError(this.db, entry);
  }
}
