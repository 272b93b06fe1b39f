import { buildXmlApiRequest, postXmlApi } from '../channels/xml-api/xml-client';
import { REFUND_FUNCTION } from '../channels/xml-api/xml-request';
import type { RefundAttempt } from './order-book';

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
    const call = await postXmlApi(
      `${client.gatewayUrl}/api/xmlapi.do`,
      body,
      { user: client.merchantId + client.serviceId, password: client.apiPassword },
      AbortSignal.timeout(ANSWER_TIMEOUT_MS),
    );
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
