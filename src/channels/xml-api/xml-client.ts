import { encodeText } from '../../kernel/charset';
import { linkHash } from '../link/link-hash';
import { readXmlDocument, type XmlCharset } from './xml-document';
import { REFUND_FUNCTION, REQUEST_ROOT, type XmlFunctionId } from './xml-request';
import { leafValues, renderXml, type XmlNode } from './xml-writer';

/**
 * The merchant's side of the XML API: a signed request and a read response. The demo shop's refund
 * buttons and the tests speak to the gateway through these, so both sides share one hash rule.
 */
export interface XmlApiRequestInput {
  merchantId: string;
  serviceId: string;
  spsTransactionId?: string;
  trackingId: string;
  /** ST02-00306-510 only. */
  processingDatetime?: string;
  /** ST02-00306-510 only: digits of a partial refund; absent = full refund. */
  amount?: string;
  requestDate: string;
  limitSecond?: string;
}

export function buildXmlApiRequest(
  functionId: XmlFunctionId,
  input: XmlApiRequestInput,
  hashKey: string,
  charset: XmlCharset = 'windows-31j',
): Buffer {
  const isRefund = functionId === REFUND_FUNCTION;
  const nodes: XmlNode[] = [
    ['merchant_id', input.merchantId],
    ['service_id', input.serviceId],
    ['sps_transaction_id', input.spsTransactionId ?? ''],
    ['tracking_id', input.trackingId],
    ...(isRefund ? [['processing_datetime', input.processingDatetime ?? ''] as const] : []),
    ...(isRefund && input.amount !== undefined
      ? [['pay_option_manage', [['amount', input.amount]]] as const]
      : []),
    ['request_date', input.requestDate],
    ['limit_second', input.limitSecond ?? ''],
  ];
  const hash = linkHash(leafValues(nodes), hashKey, (text) => {
    const bytes = encodeText(text, charset);
    if (!bytes) throw new Error('a request value cannot be encoded in the request encoding');
    return bytes;
  });
  return renderXml(REQUEST_ROOT, functionId, [...nodes, ['sps_hashcode', hash]], charset);
}

export interface XmlApiResponse {
  id: string | null;
  /** Each element's trimmed text by its path below the root (`res_pay_method_info/amount`); the first wins. */
  fields: Record<string, string>;
  /** MG01-00101-510: one record per `<refund>`, by child name. */
  refunds: Array<Record<string, string>>;
}

export function readXmlApiResponse(bytes: Uint8Array): XmlApiResponse {
  const read = readXmlDocument(bytes);
  if (!read.ok || read.document.root !== 'sps-api-response') {
    throw new Error('not an XML API response');
  }
  const fields: Record<string, string> = {};
  const refunds: Array<Record<string, string>> = [];
  for (const element of read.document.elements) {
    const key = element.path.join('/');
    const value = element.text.trim();
    if (key === 'res_pay_method_info/refunds/refund') refunds.push({});
    else if (key.startsWith('res_pay_method_info/refunds/refund/')) {
      refunds[refunds.length - 1]![element.path[element.path.length - 1]!] = value;
    } else if (!element.hasChildren && !(key in fields)) fields[key] = value;
  }
  return { id: read.document.id, fields, refunds };
}

export interface XmlApiCall {
  httpStatus: number;
  headers: Headers;
  response: XmlApiResponse;
}

/** Posts a request to `<gateway>/api/xmlapi.do` with Basic credentials (user = merchant_id + service_id). */
export async function postXmlApi(
  endpoint: string,
  body: Uint8Array,
  credentials: { user: string; password: string } | null,
  signal?: AbortSignal,
): Promise<XmlApiCall> {
  const headers: Record<string, string> = { 'Content-Type': 'text/xml' };
  if (credentials) {
    const token = Buffer.from(`${credentials.user}:${credentials.password}`, 'utf8').toString('base64');
    headers.Authorization = `Basic ${token}`;
  }
  const answer = await fetch(endpoint, { method: 'POST', headers, body: Uint8Array.from(body), signal });
  const bytes = new Uint8Array(await answer.arrayBuffer());
  return { httpStatus: answer.status, headers: answer.headers, response: readXmlApiResponse(bytes) };
}
