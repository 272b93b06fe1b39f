import { buildXmlApiRequest, postXmlApi } from '../../src/channels/xml-api/xml-client';
import { REFUND_FUNCTION } from '../../src/channels/xml-api/xml-request';
import { formatJstCompact } from '../../src/kernel/jst';
import { setApiPassword } from '../../src/merchants/api-password';
import { type Stack, TEST_HASH_KEY } from './stack';

/** The test merchant's server side of the XML API (merchant-xml-api.md), over real HTTP. */
const MERCHANT = { merchantId: '30000', serviceId: '001' } as const;
export const XML_API_PASSWORD = 'kessai-test-api-password-0001';

export async function enableXmlApi(stack: Stack): Promise<void> {
  await setApiPassword(stack.database.db, MERCHANT.merchantId, MERCHANT.serviceId, XML_API_PASSWORD);
}

/** Asks for a refund (ST02-00306-510) of `amount` yen, or of what remains; returns the answer's fields. */
export async function refundOverXmlApi(
  stack: Stack,
  trackingId: string,
  amount?: number,
): Promise<Record<string, string>> {
  return xmlApiRefund(stack.gatewayUrl, trackingId, amount, stack.clock.now());
}

/** The same refund request, to any gateway URL, dated `now`. */
export async function xmlApiRefund(
  gatewayUrl: string,
  trackingId: string,
  amount: number | undefined,
  now: Date,
): Promise<Record<string, string>> {
  const request = buildXmlApiRequest(
    REFUND_FUNCTION,
    {
      ...MERCHANT,
      trackingId,
      requestDate: formatJstCompact(now),
      ...(amount === undefined ? {} : { amount: String(amount) }),
    },
    TEST_HASH_KEY,
  );
  const answer = await postXmlApi(`${gatewayUrl}/api/xmlapi.do`, request, {
    user: `${MERCHANT.merchantId}${MERCHANT.serviceId}`,
    password: XML_API_PASSWORD,
  });
  if (answer.httpStatus !== 200) throw new Error(`XML API refund answered HTTP ${answer.httpStatus}`);
  return answer.response.fields;
}
