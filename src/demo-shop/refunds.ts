import { buildXmlApiRequest, postXmlApi } from '../channels/xml-api/xml-client';
import { INQUIRY_FUNCTION, REFUND_FUNCTION } from '../channels/xml-api/xml-request';
import { formatJstCompact } from '../kernel/jst';
import type { PaymentAtGateway, RefundAttempt } from './order-book';

/**
 * A merchant's refund through the XML API, as the guide (docs/merchant-xml-api.md) describes it:
 * sign the request with the hash key, send it with the service's API password, read `OK` / `AC` /
 * `NG`. After `AC` or no answer, repeat the identical request (same `request_date`).
 */
export interface RefundClient {
  gatewayUrl: string;
  merchantId: string;
  serviceId: string;
  hashKey: string;
  apiPassword: string;
}

/** How long the shop waits for the gateway (which itself waits up to 8 s for Alipay+). */
const ANSWER_TIMEOUT_MS = 15_000;
/** An inquiry is answered from the gateway's database: the orders page does not wait long. */
const INQUIRY_TIMEOUT_MS = 5_000;
/**
 * An inquiry's `limit_second`. Besides the validity window it keeps the inquiry's hash apart from a
 * full refund's sent in the same second (whose `limit_second` is empty): the gateway refuses a
 * refund whose hash an inquiry has used (merchant-xml-api.md, Replays).
 */
const INQUIRY_LIMIT_SECOND = '60';

export async function requestRefund(
  client: RefundClient,
  request: { trackingId: string; amount: string; requestDate: string },
  now: Date,
): Promise<RefundAttempt> {
  const body = buildXmlApiRequest(
    REFUND_FUNCTION,
    {
      merchantId: client.merchantId,
      serviceId: client.serviceId,
      trackingId: request.trackingId,
      requestDate: request.requestDate,
      ...(request.amount === '' ? {} : { amount: request.amount }),
    },
    client.hashKey,
  );
  const base = { amount: request.amount, requestDate: request.requestDate, at: now };
  try {
    const call = await post(client, body, ANSWER_TIMEOUT_MS);
    const f = call.response.fields;
    return {
      ...base,
      result: f.res_result ?? null,
      errCode: f.res_err_code ?? '',
      transactionId: f.res_sps_transaction_id ?? '',
      refundAmount: f['res_pay_method_info/refund_amount'] ?? '',
      remaining: f['res_pay_method_info/remaining_amount'] ?? '',
      problem: call.httpStatus === 200 ? null : `HTTP ${call.httpStatus}`,
    };
  } catch (error) {
    return {
      ...base,
      result: null,
      errCode: '',
      transactionId: '',
      refundAmount: '',
      remaining: '',
      problem:
        error instanceof Error && error.name === 'TimeoutError' ? 'no answer in time' : 'gateway unreachable',
    };
  }
}

/**
 * The payment as the gateway knows it now (MG01-00101-510): its status and every refund, whichever
 * channel made it — the console's too. `null` when the gateway does not answer OK.
 */
export async function inquirePayment(
  client: RefundClient,
  trackingId: string,
  now: Date,
): Promise<PaymentAtGateway | null> {
  const body = buildXmlApiRequest(
    INQUIRY_FUNCTION,
    {
      merchantId: client.merchantId,
      serviceId: client.serviceId,
      trackingId,
      requestDate: formatJstCompact(now),
      limitSecond: INQUIRY_LIMIT_SECOND,
    },
    client.hashKey,
  );
  try {
    const { response } = await post(client, body, INQUIRY_TIMEOUT_MS);
    const f = response.fields;
    if (f.res_result !== 'OK') return null;
    return {
      paymentStatus: f['res_pay_method_info/payment_status'] ?? '',
      refundedAmount: Number(f['res_pay_method_info/refunded_amount'] ?? '0'),
      refunds: response.refunds.map((r) => ({
        amount: Number(r.amount ?? '0'),
        status: r.status ?? '',
        processDate: r.process_date ?? '',
      })),
    };
  } catch {
    return null;
  }
}

function post(client: RefundClient, body: Buffer, timeoutMs: number) {
  return postXmlApi(
    `${client.gatewayUrl}/api/xmlapi.do`,
    body,
    { user: client.merchantId + client.serviceId, password: client.apiPassword },
    AbortSignal.timeout(timeoutMs),
  );
}
