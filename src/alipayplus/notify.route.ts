import type { KeyObject } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { REGISTRATION_NOTIFY_PATH, type SubBrandReviewService } from '../governance/sub-brand-review.service';
import type { Clock } from '../kernel/clock';
import { formatJstIso } from '../kernel/jst';
import type { PaymentService } from '../payments/payment.service';
import type { ResultMessage, ResultStatus } from './messages';
import { mapNotification, readRegistrationReport, readResult } from './outcomes';
import { JSON_CONTENT_TYPE, parseAlipayTime, signMessage, verifyMessage } from './signing';

export const NOTIFY_PATH = '/alipayplus/notifyPayment';

/**
 * How far a registration notification's Request-Time may be from our clock. Alipay+ signs every
 * re-send afresh, so an older one is a replay of a captured message, not a retry.
 */
const REGISTRATION_FRESHNESS_MS = 5 * 60_000;

export interface NotifyRouteOptions {
  payments: PaymentService;
  registrations: SubBrandReviewService;
  clock: Clock;
  clientId: string;
  privateKey: KeyObject;
  alipayPublicKey: KeyObject;
}

type Json = Record<string, unknown>;

/**
 * notifyPayment (alipayplus.md) and notifyRegistrationStatus (governance.md §1): the signature is
 * checked on the raw bytes before anything is parsed; a bad one changes nothing. Once the result is
 * durably recorded the answer is a signed SUCCESS — for success and failure alike, and for
 * repeats — so Alipay+ stops re-sending.
 */
export async function notifyRoute(app: FastifyInstance, options: NotifyRouteOptions): Promise<void> {
  const { payments, registrations, clock, clientId, privateKey, alipayPublicKey } = options;

  // Keep the exact bytes: the signature covers them, not a re-serialization. Other media types
  // are refused by name (MEDIA_TYPE_NOT_ACCEPTABLE), not left to a framework error.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  function answer(
    reply: FastifyReply,
    path: string,
    status: number,
    resultCode: string,
    resultStatus: ResultStatus,
    message: string,
  ) {
    const result: ResultMessage = { resultCode, resultStatus, resultMessage: message };
    const body = Buffer.from(JSON.stringify({ result }), 'utf8');
    const time = formatJstIso(clock.now());
    return reply
      .code(status)
      .header('Content-Type', JSON_CONTENT_TYPE)
      .header('Client-Id', clientId)
      .header('Response-Time', time)
      .header('Signature', signMessage(privateKey, path, clientId, time, body))
      .send(body);
  }

  // Even a failure is answered in the protocol: signed, U, so Alipay+ re-sends; no internal text.
  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    const status = error.statusCode;
    const path = request.url.split('?')[0] ?? NOTIFY_PATH;
    // A request the HTTP layer refuses (too large, malformed) is final: F, and nothing to re-send.
    if (status !== undefined && status >= 400 && status < 500) {
      return answer(
        reply,
        path,
        status,
        'PARAM_ILLEGAL',
        'F',
        status === 413 ? 'body too large' : 'malformed request',
      );
    }
    request.log.error({ err: error, reqId: request.id }, 'notification failed');
    return answer(reply, path, 500, 'UNKNOWN_EXCEPTION', 'U', 'temporary failure, please retry');
  });

  /**
   * The checks every notification passes before it is read: media type, our Client-Id, the
   * signature over the raw bytes, a JSON object without NUL. Answers the refusal itself and
   * returns `undefined`, or returns the body.
   */
  async function verified(
    request: FastifyRequest,
    reply: FastifyReply,
    path: string,
  ): Promise<{ body: Json; raw: Buffer; time: string } | undefined> {
    const api = path.slice(path.lastIndexOf('/') + 1);
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (mediaType !== 'application/json') {
      await answer(reply, path, 415, 'MEDIA_TYPE_NOT_ACCEPTABLE', 'F', 'expected application/json');
      return undefined;
    }
    const raw = Buffer.isBuffer(request.body) ? request.body : null;
    const signature = request.headers.signature;
    const time = request.headers['request-time'];
    // Alipay+ notifies under the Client-Id it issued to us; any other is not meant for this
    // gateway, whoever signed it.
    if (request.headers['client-id'] !== clientId) {
      request.log.warn(`${api} refused: Client-Id is not ours`);
      await answer(reply, path, 401, 'INVALID_CLIENT', 'F', 'Client-Id is not this client');
      return undefined;
    }
    if (
      !raw ||
      typeof signature !== 'string' ||
      typeof time !== 'string' ||
      !verifyMessage(alipayPublicKey, path, clientId, time, raw, signature)
    ) {
      request.log.warn(`${api} refused: missing or invalid signature`);
      await answer(reply, path, 401, 'INVALID_SIGNATURE', 'F', 'signature verification failed');
      return undefined;
    }
    try {
      // No value may hold NUL: no Alipay+ field does, and PostgreSQL text cannot store it.
      const parsed: unknown = JSON.parse(raw.toString('utf8'), (_key, value: unknown) => {
        if (typeof value === 'string' && value.includes('\u0000')) throw new Error('NUL in a value');
        return value;
      });
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error('not an object');
      return { body: parsed as Json, raw, time };
    } catch {
      await answer(reply, path, 400, 'PARAM_ILLEGAL', 'F', 'body is not a JSON object');
      return undefined;
    }
  }

  app.post(NOTIFY_PATH, async (request, reply) => {
    const checked = await verified(request, reply, NOTIFY_PATH);
    if (!checked) return reply;
    const { body, raw } = checked;
    const paymentRequestId = body.paymentRequestId;
    if (typeof paymentRequestId !== 'string' || !readResult(body.paymentResult)) {
      return answer(
        reply,
        NOTIFY_PATH,
        400,
        'PARAM_ILLEGAL',
        'F',
        'paymentRequestId and paymentResult are required',
      );
    }
    const verdict = await payments.applyNotification({
      paymentRequestId,
      result: mapNotification(body),
      exchange: {
        api: 'notifyPayment',
        requestBody: raw.toString('utf8'),
        responseStatus: 200,
        responseBody: null,
        durationMs: 0,
      },
    });
    if (verdict === 'unknownPayment') {
      request.log.warn({ paymentRequestId }, 'notifyPayment for an unknown payment');
      return answer(reply, NOTIFY_PATH, 200, 'ORDER_NOT_EXIST', 'F', 'no such payment');
    }
    if (verdict === 'mismatch')
      return answer(reply, NOTIFY_PATH, 200, 'PARAM_ILLEGAL', 'F', 'paymentAmount does not match');
    return answer(reply, NOTIFY_PATH, 200, 'SUCCESS', 'S', 'success');
  });

  app.post(REGISTRATION_NOTIFY_PATH, async (request, reply) => {
    const path = REGISTRATION_NOTIFY_PATH;
    const checked = await verified(request, reply, path);
    if (!checked) return reply;
    const sentAt = parseAlipayTime(checked.time);
    if (!sentAt || Math.abs(clock.now().getTime() - sentAt.getTime()) > REGISTRATION_FRESHNESS_MS) {
      request.log.warn('notifyRegistrationStatus refused: Request-Time is not current (a replay?)');
      return answer(
        reply,
        path,
        401,
        'INVALID_SIGNATURE',
        'F',
        'Request-Time is not current: replayed or stale',
      );
    }
    const report = readRegistrationReport(checked.body);
    if (!report) {
      return answer(
        reply,
        path,
        400,
        'PARAM_ILLEGAL',
        'F',
        'referenceMerchantId, registrationRequestId and registrationResult.registrationStatus are required',
      );
    }
    const verdict = await registrations.applyReport(report);
    if (verdict !== 'applied') {
      request.log.warn(
        { registrationRequestId: report.registrationRequestId, verdict },
        'notifyRegistrationStatus refused',
      );
      return answer(
        reply,
        path,
        200,
        'PARAM_ILLEGAL',
        'F',
        verdict === 'unknownRegistration'
          ? 'no such registrationRequestId'
          : 'referenceMerchantId is not the merchant of this registration',
      );
    }
    return answer(reply, path, 200, 'SUCCESS', 'S', 'success');
  });
}
