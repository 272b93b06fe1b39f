import { randomBytes, randomFillSync, randomInt } from 'node:crypto';

/**
 * Identifiers. Everything that must not be guessed or collide carries a random component from the
 * CSPRNG (payment-lifecycle.md: `paymentRequestId` is never derived from a sequence alone).
 */
export interface IdSource {
  /** 14 digits, the merchant-facing key of a payment (`res_tracking_id`). */
  trackingId(): string;
  /** 32 upper-case letters and digits (`res_sps_transaction_id`). */
  transactionId(): string;
  /** The Alipay+ idempotency key of a payment or refund. */
  requestId(prefix: string): string;
  /** An unguessable URL token. */
  token(): string;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export const randomIds: IdSource = {
  trackingId() {
    // First digit non-zero so the id keeps 14 digits in any tool that reads it as a number.
    let id = String(randomInt(1, 10));
    for (let i = 0; i < 13; i++) id += String(randomInt(0, 10));
    return id;
  },
  transactionId() {
    let id = '';
    for (let i = 0; i < 32; i++) id += ALNUM[randomInt(0, ALNUM.length)];
    return id;
  },
  requestId(prefix) {
    return `${prefix}${Date.now().toString(36).toUpperCase()}${randomBytes(12).toString('hex').toUpperCase()}`;
  },
  token() {
    return randomBytes(24).toString('base64url');
  },
};

/** CSPRNG bytes drawn 4 KiB at a time; each byte is handed out once. */
const pool = Buffer.alloc(4096);
let poolUsed = pool.length;

/**
 * `size` fresh random bytes as text, for the values made on every request (request ids, CSP
 * nonces): a `randomBytes` call each costs about fifty times more (bench/README.md, Changes).
 */
export function randomText(size: number, encoding: 'hex' | 'base64'): string {
  if (poolUsed + size > pool.length) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  poolUsed += size;
  return pool.toString(encoding, poolUsed - size, poolUsed);
}
