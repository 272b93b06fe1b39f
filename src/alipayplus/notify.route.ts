import type { KeyObject } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Clock } from '../kernel/clock';
import { formatJstIso } from '../kernel/jst';
import type { PaymentService } from '../payments/payment.service';
import type { ResultMessage, ResultStatus } from './messages';
import { mapNotification, readResult } from './outcomes';
import { JSON_CONTENT_TYPE, signMessage, verifyMessage } from './signing';

export const NOTIFY_PATH = '/alipayplus/notifyPayment';

export interface NotifyRouteOptions {
  payments: PaymentService;
  clock: Clock;
  clientId: string;
  privateKey: KeyObject;
  alipayPublicKey: KeyObject;
}

/**
 * notifyPayment (alipayplus.md): the signature is checked on the raw bytes before anything is
 * parsed; a bad one changes nothing. Once the result is durably recorded the answer is a signed
 * SUCCESS — for success and failure alike, and for repeats — so Alipay+ stops re-sending.
 */
export async function notifyRoute(app: FastifyInstance, options: NotifyRouteOptions): Promise<void> {
  const { payments, clock, clientId, privateKey, alipayPublicKey } = options;

  // Keep the exact bytes: the signature covers them, not a re-serialization. Other media types
  // are refused by name (MEDIA_TYPE_NOT_ACCEPTABLE), not left to a framework error.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  function answer(
    reply: FastifyReply,
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
      .header('Signature', signMessage(privateKey, NOTIFY_PATH, clientId, time, body))
      .send(body);
  }

  // Even a failure is answered in the protocol: signed, U, so Alipay+ re-sends; no internal text.
  app.setErrorHandler((error: { statusCode?: number }, request, reply) => {
    const status = error.statusCode;
    // A request the HTTP layer refuses (too large, malformed) is final: F, and nothing to re-send.
    if (status !== undefined && status >= 400 && status < 500) {
      return answer(
        reply,
        status,
        'PARAM_ILLEGAL',
        'F',
        status === 413 ? 'body too large' : 'malformed request',
      );
    }
    request.log.error({ err: error, reqId: request.id }, 'notifyPayment failed');
    return answer(reply, 500, 'UNKNOWN_EXCEPTION', 'U', 'temporary failure, please retry');
  });

  app.post(NOTIFY_PATH, async (request, reply) => {
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (mediaType !== 'application/json') {
      return answer(reply, 415, 'MEDIA_TYPE_NOT_ACCEPTABLE', 'F', 'expected application/json');
    }
    const raw = Buffer.isBuffer(request.body) ? request.body : null;
    const signature = request.headers.signature;
    const time = request.headers['request-time'];
    // Alipay+ notifies under the Client-Id it issued to us; any other is not meant for this
    // gateway, whoever signed it.
    if (request.headers['client-id'] !== clientId) {
      request.log.warn('notifyPayment refused: Client-Id is not ours');
      return answer(reply, 401, 'INVALID_CLIENT', 'F', 'Client-Id is not this client');
    }
    if (
      !raw ||
      typeof signature !== 'string' ||
      typeof time !== 'string' ||
      !verifyMessage(alipayPublicKey, NOTIFY_PATH, clientId, time, raw, signature)
    ) {
      request.log.warn('notifyPayment refused: missing or invalid signature');
      return answer(reply, 401, 'INVALID_SIGNATURE', 'F', 'signature verification failed');
    }
    let body: Record<string, unknown>;
    try {
      // No value may hold NUL: no Alipay+ field does, and PostgreSQL text cannot store it.
      const parsed: unknown = JSON.parse(raw.toString('utf8'), (_key, value: unknown) => {
        if (typeof value === 'string' && value.includes('\u0000')) throw new Error('NUL in a value');
        return value;
      });
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      return answer(reply, 400, 'PARAM_ILLEGAL', 'F', 'body is not a JSON object');
    }
    const paymentRequestId = body.paymentRequestId;
    if (typeof paymentRequestId !== 'string' || !readResult(body.paymentResult)) {
      return answer(reply, 400, 'PARAM_ILLEGAL', 'F', 'paymentRequestId and paymentResult are required');
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
      return answer(reply, 200, 'ORDER_NOT_EXIST', 'F', 'no such payment');
    }
    if (verdict === 'mismatch')
      return answer(reply, 200, 'PARAM_ILLEGAL', 'F', 'paymentAmount does not match');
    return answer(reply, 200, 'SUCCESS', 'S', 'success');
  });
}
