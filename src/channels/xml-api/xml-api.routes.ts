import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database, ServiceRow } from '../../db/database';
import { maintenanceFor } from '../../governance/availability';
import type { Clock } from '../../kernel/clock';
import { DomainError } from '../../kernel/errors';
import type { MerchantService } from '../../merchants/merchant.service';
import type { PaymentService } from '../../payments/payment.service';
import type { RefundService } from '../../refunds/refund.service';
import { authenticateService } from './basic-auth';
import {
  BAD_CREDENTIALS,
  domainErrorXmlCode,
  GATEWAY_FAULT,
  MAINTENANCE,
  NOT_WELL_FORMED,
  xmlErrorCode,
} from './xml-codes';
import { readXmlDocument } from './xml-document';
import { xmlHashMatches } from './xml-hash';
import {
  isWithinValidity,
  REFUND_FUNCTION,
  readXmlRequest,
  refundReplayKey,
  validUntil,
  type XmlRequestFields,
} from './xml-request';
import { errorResponse, inquiryResponse, RESPONSE_CONTENT_TYPE, refundResponse } from './xml-response';

export interface XmlApiRoutesOptions {
  db: Kysely<Database>;
  clock: Clock;
  payments: PaymentService;
  refunds: RefundService;
  merchants: MerchantService;
  inquiryHashes: InquiryHashes;
  /** Writes a row of the audit log (admin.md), where the XML API's refunds go like the console's. */
  audit: (entry: XmlAuditEntry) => Promise<void>;
}

/**
 * The `sps_hashcode` values of accepted inquiries, kept until their request's validity ends
 * (`inquiry-hash.repository.ts`).
 */
export interface InquiryHashes {
  remember(
    entry: { merchantId: string; serviceId: string; hashcode: string; expiresAt: Date },
    now: Date,
  ): Promise<void>;
  isInquiryHash(merchantId: string, serviceId: string, hashcode: string, now: Date): Promise<boolean>;
}

/** An audit row of the XML API: its actor is the API user, who has no console account. */
export interface XmlAuditEntry {
  at: Date;
  actorEmail: string;
  merchantId: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
  ip: string;
}

export const XML_API_PATH = '/api/xmlapi.do';

/** A refusal found while handling a request: answered NG with this code, HTTP 200. */
class RequestRefused extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/**
 * The XML API (merchant-xml-api.md): `POST /api/xmlapi.do` with ST02-00306-510 (refund) and
 * MG01-00101-510 (payment inquiry). Order of checks: credentials (401, nothing else done), a
 * well-formed document, the function id, the fields, the credentials' service = the document's,
 * the hash, the validity window, then the function. Every business answer — OK or NG — is HTTP 200
 * with an XML body; 401, 413 and an unexpected fault (500) carry an XML body too, as client
 * libraries crash on anything else.
 */
export async function xmlApiRoutes(app: FastifyInstance, options: XmlApiRoutesOptions): Promise<void> {
  const { db, clock, payments, refunds, merchants, inquiryHashes, audit: writeAudit } = options;

  // The body is read as bytes whatever the Content-Type says: its XML declaration names the encoding.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler(async (error, request, reply) => {
    const now = clock.now();
    const status = (error as { statusCode?: number }).statusCode;
    // The gateway's 64 KiB body limit (413), or another refusal of the HTTP layer: not a document.
    if (status !== undefined && status >= 400 && status < 500) {
      return sendXml(reply, status, errorResponse(null, NOT_WELL_FORMED, now, request.id));
    }
    request.log.error({ err: error, reqId: request.id }, 'xml api: unhandled error');
    return sendXml(reply, 500, errorResponse(null, GATEWAY_FAULT, now, request.id));
  });

  app.post(XML_API_PATH, async (request, reply) => {
    const service = await authenticateService(
      (merchantId, serviceId) => merchants.findService(merchantId, serviceId),
      request.headers.authorization,
    );
    if (!service) {
      reply.header('WWW-Authenticate', 'Basic realm="kessai"');
      return sendXml(reply, 401, errorResponse(null, BAD_CREDENTIALS, clock.now(), request.id));
    }
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const read = readXmlDocument(body);
    if (!read.ok) {
      request.log.info({ refusal: read.refusal }, 'xml api: not a well-formed request');
      return sendXml(reply, 200, errorResponse(null, NOT_WELL_FORMED, clock.now(), request.id));
    }
    const parsed = readXmlRequest(read.document);
    const functionId = parsed.functionId;
    try {
      if (!parsed.ok) throw new RequestRefused(parsed.code);
      const { fields } = parsed;
      if (fields.merchantId !== service.merchant_id || fields.serviceId !== service.service_id) {
        throw new RequestRefused(xmlErrorCode('merchant', 'merchant_id'));
      }
      if (!xmlHashMatches(read.document, service.hash_key, fields.spsHashcode)) {
        throw new RequestRefused(xmlErrorCode('hashMismatch', 'sps_hashcode'));
      }
      const now = clock.now();
      if (!isWithinValidity(fields, now)) throw new RequestRefused(xmlErrorCode('expired', 'request_date'));
      if (await maintenanceFor(db, { merchantId: service.merchant_id, serviceId: service.service_id }, now)) {
        throw new RequestRefused(MAINTENANCE);
      }
      const answer =
        parsed.functionId === REFUND_FUNCTION
          ? await refund(service, fields, now, request.ip)
          : await inquire(service, fields, now);
      return sendXml(reply, 200, answer);
    } catch (error) {
      const code =
        error instanceof RequestRefused
          ? error.code
          : error instanceof DomainError
            ? domainErrorXmlCode(error.code)
            : null;
      if (code === null) throw error;
      request.log.info({ functionId, code }, 'xml api: refused');
      return sendXml(reply, 200, errorResponse(functionId, code, clock.now(), request.id));
    }
  });

  /** The payment of this tracking id, when it belongs to the request's merchant and service. */
  async function ownedPayment(fields: XmlRequestFields) {
    const payment = await payments.findByTrackingId(fields.trackingId);
    if (!payment || payment.merchant_id !== fields.merchantId || payment.service_id !== fields.serviceId) {
      throw new RequestRefused(xmlErrorCode('unknownTracking', 'tracking_id'));
    }
    if (fields.spsTransactionId !== null && fields.spsTransactionId !== payment.transaction_id) {
      throw new RequestRefused(xmlErrorCode('transactionMismatch', 'sps_transaction_id'));
    }
    return payment;
  }

  async function refund(
    service: ServiceRow,
    fields: XmlRequestFields,
    now: Date,
    ip: string,
  ): Promise<Buffer> {
    const replayKey = refundReplayKey(fields);
    // A replay of an existing refund makes nothing new, so it is answered even when an inquiry
    // carried the same hash since; only a new refund with an inquiry's hash is refused.
    if (
      (await inquiryHashes.isInquiryHash(service.merchant_id, service.service_id, fields.spsHashcode, now)) &&
      !(await refunds.isReplay(replayKey))
    ) {
      throw new RequestRefused(xmlErrorCode('duplicateHash', 'sps_hashcode'));
    }
    await ownedPayment(fields);
    const requestedBy = `xml-api:${fields.merchantId}${fields.serviceId}`;
    const kind = fields.amount === null ? 'full' : 'partial';
    // Audited like the console's refunds (admin.md, audit log): who — the API user —, what, from where.
    const audit = (action: string, detail: Record<string, unknown>) =>
      writeAudit({
        at: clock.now(),
        actorEmail: requestedBy,
        merchantId: fields.merchantId,
        action,
        target: fields.trackingId,
        detail: { channel: 'XML_API', kind, ...detail },
        ip,
      });
    try {
      const outcome = await refunds.refund({
        merchantId: fields.merchantId,
        serviceId: fields.serviceId,
        trackingId: fields.trackingId,
        amount: fields.amount,
        channel: 'XML_API',
        requestedBy,
        replayKey,
        processingDatetime: fields.processingDatetime,
      });
      // A replay makes no new refund: the first request was audited.
      if (!outcome.replayed) {
        await audit('refund', {
          refundId: outcome.refund.refundId,
          amount: outcome.refund.amount,
          status: outcome.refund.status,
          resultCode: outcome.refund.resultCode,
        });
      }
      return refundResponse(outcome, clock.now());
    } catch (error) {
      if (error instanceof DomainError) {
        await audit('refund.refused', { amount: fields.amount ?? '', code: error.code });
      } else {
        await audit('refund.error', { amount: fields.amount ?? '' });
      }
      throw error;
    }
  }

  async function inquire(service: ServiceRow, fields: XmlRequestFields, now: Date): Promise<Buffer> {
    // Remembered as soon as it is verified: from here on this hash can only ever be an inquiry.
    await inquiryHashes.remember(
      {
        merchantId: service.merchant_id,
        serviceId: service.service_id,
        hashcode: fields.spsHashcode,
        expiresAt: validUntil(fields),
      },
      now,
    );
    const payment = await ownedPayment(fields);
    return inquiryResponse(payment, await refunds.listRefunds(payment.tracking_id), clock.now());
  }
}

function sendXml(reply: FastifyReply, status: number, body: Buffer) {
  return reply
    .code(status)
    .header('Cache-Control', 'no-store')
    .header('X-Content-Type-Options', 'nosniff')
    .type(RESPONSE_CONTENT_TYPE)
    .send(body);
}
