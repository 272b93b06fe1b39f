import { z } from 'zod';

/**
 * Injected faults (sandbox.md, Control API) for the reliability tests. They live in memory: they
 * are a test's instrument, not data. Each matching call consumes one unit of `count` when the
 * fault fires (with `probability`); a fault is gone once its count reaches zero.
 *
 * Meaning per target:
 * - API calls: `unknown` answers a signed U/UNKNOWN_EXCEPTION without processing; `http500` answers
 *   HTTP 500 without processing; `drop` closes the connection without processing; `timeout`
 *   processes the request, then holds the answer `delayMs` (default 10 s) and closes the
 *   connection without answering; `delay` processes and answers after `delayMs`;
 *   `badSignature` processes and answers with a corrupted signature.
 * - notify: `drop` skips the attempt (counted as failed, retried on schedule); `delay` sends it
 *   `delayMs` late; `duplicate` sends it twice; `badSignature` corrupts its signature.
 * - reports (the next clearing day with transactions): `missingLine` leaves its first transaction
 *   out; `duplicateLine` lists it twice; `amountOffByOne` reports it ¥1 more; `lateFile` delivers
 *   the day's clearing files `delayMs` (sandbox time, default 6 h) late; `missingFile` never
 *   delivers them (settlement still pays the day).
 */
export const FAULT_APIS = [
  'pay',
  'inquiryPayment',
  'cancelPayment',
  'refund',
  'registration',
  'inquiryRegistrationStatus',
  'notify',
  'reports',
] as const;
export const FAULT_MODES = [
  'unknown',
  'timeout',
  'http500',
  'delay',
  'drop',
  'duplicate',
  'badSignature',
  'missingLine',
  'duplicateLine',
  'amountOffByOne',
  'lateFile',
  'missingFile',
] as const;

export type FaultApi = (typeof FAULT_APIS)[number];
export type FaultMode = (typeof FAULT_MODES)[number];

const API_MODES: readonly FaultMode[] = ['unknown', 'timeout', 'http500', 'delay', 'drop', 'badSignature'];
const NOTIFY_MODES: readonly FaultMode[] = ['delay', 'drop', 'duplicate', 'badSignature'];
const REPORT_MODES: readonly FaultMode[] = [
  'missingLine',
  'duplicateLine',
  'amountOffByOne',
  'lateFile',
  'missingFile',
];
const MODES_OF: Readonly<Record<FaultApi, readonly FaultMode[]>> = {
  pay: API_MODES,
  inquiryPayment: API_MODES,
  cancelPayment: API_MODES,
  refund: API_MODES,
  registration: API_MODES,
  inquiryRegistrationStatus: API_MODES,
  notify: NOTIFY_MODES,
  reports: REPORT_MODES,
};

const DEFAULT_DELAY_MS: Readonly<Record<FaultMode, number>> = {
  unknown: 0,
  timeout: 10_000,
  http500: 0,
  delay: 3_000,
  drop: 0,
  duplicate: 0,
  badSignature: 0,
  missingLine: 0,
  duplicateLine: 0,
  amountOffByOne: 0,
  lateFile: 6 * 3_600_000,
  missingFile: 0,
};

export const faultRequestSchema = z
  .object({
    api: z.enum(FAULT_APIS),
    mode: z.enum(FAULT_MODES),
    count: z.number().int().min(1).max(1_000_000).default(1),
    probability: z.number().gt(0).max(1).default(1),
    delayMs: z.number().int().min(0).max(600_000).optional(),
  })
  .strict()
  .refine((f) => MODES_OF[f.api].includes(f.mode), {
    message: `mode not applicable to this api (notify: ${NOTIFY_MODES.join(', ')}; reports: ${REPORT_MODES.join(', ')}; others: ${API_MODES.join(', ')})`,
    path: ['mode'],
  });

export interface Fault {
  id: number;
  api: FaultApi;
  mode: FaultMode;
  remaining: number;
  probability: number;
  delayMs: number;
}

export class FaultTable {
  private faults: Fault[] = [];
  private nextId = 1;

  constructor(private readonly random: () => number = Math.random) {}

  add(request: z.output<typeof faultRequestSchema>): Fault {
    const fault: Fault = {
      id: this.nextId++,
      api: request.api,
      mode: request.mode,
      remaining: request.count,
      probability: request.probability,
      delayMs: request.delayMs ?? DEFAULT_DELAY_MS[request.mode],
    };
    this.faults.push(fault);
    return fault;
  }

  clear(): void {
    this.faults = [];
  }

  list(): readonly Fault[] {
    return this.faults;
  }

  /** The fault this call suffers, if any (the oldest matching one that fires). */
  take(api: FaultApi): Fault | null {
    for (const fault of this.faults) {
      if (fault.api !== api) continue;
      if (fault.probability < 1 && this.random() >= fault.probability) continue;
      fault.remaining -= 1;
      if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
      return { ...fault };
    }
    return null;
  }
}
