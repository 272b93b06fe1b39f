import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { JSON_CONTENT_TYPE, signedPath } from '../alipayplus/signing';
import type { Clock } from '../kernel/clock';
import { result } from './answers';
import {
  ParamIllegal,
  parseConsult,
  parsePay,
  parsePaymentRef,
  parseRefund,
  parseRegistration,
  parseRegistrationInquiry,
  readBody,
} from './api-requests';
import type { Fault, FaultApi, FaultTable } from './faults';
import type { SandboxRegistrations } from './registrations';
import type { ApiAnswer, SandboxService } from './sandbox-service';
import type { SandboxSigner } from './signer';
import type { SandboxStore } from './store';

/** alipayplus.md: request bodies are small; anything larger is refused before reading it all. */
export const API_BODY_LIMIT = 64 * 1024;
const LOGGED_BODY_CHARS = 4_000;

/** The APIs under each path group (alipayplus.md, Endpoints; governance.md §1). */
const APIS = {
  payments: ['consultPayment', 'pay', 'inquiryPayment', 'cancelPayment', 'refund'],
  merchants: ['registration', 'inquiryRegistrationStatus'],
} as const;
type ApiGroup = keyof typeof APIS;
type ApiName = (typeof APIS)[ApiGroup][number];

export interface ApiRouteDeps {
  service: SandboxService;
  registrations: SandboxRegistrations;
  signer: SandboxSigner;
  faults: FaultTable;
  store: SandboxStore;
  clock: Clock;
  /** Aborted when the app closes, so held answers do not delay shutdown. */
  closing: AbortSignal;
}

interface Exchange {
  api: string;
  path: string;
  clientId: string;
  started: number;
  at: number;
  requestBody: Buffer;
  requestId: string | null;
  fault: Fault | null;
}

/**
 * The Alipay+ API (alipayplus.md, Endpoints): signature checked on the raw body bytes, strict
 * fields, every answer signed over the request path. Business results are HTTP 200.
 */
export async function apiRoutes(app: FastifyInstance, deps: ApiRouteDeps): Promise<void> {
  const { service, registrations, signer, faults, store, clock, closing } = deps;

  // Keep the exact bytes: the signature covers them, so they are verified before any parsing.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: API_BODY_LIMIT }, (_req, body, done) => {
    done(null, body);
  });

  async function send(
    reply: FastifyReply,
    exchange: Exchange,
    httpStatus: number,
    body: Record<string, unknown>,
    corrupt = false,
  ): Promise<FastifyReply> {
    const bytes = Buffer.from(JSON.stringify(body), 'utf8');
    const time = signer.now();
    const signature = signer.sign(exchange.path, exchange.clientId, time, bytes);
    await log(exchange, httpStatus, body, bytes.toString('utf8'));
    return reply
      .code(httpStatus)
      .header('Client-Id', exchange.clientId)
      .header('Response-Time', time)
      .header('Signature', corrupt ? signer.corrupt(signature) : signature)
      .header('Content-Type', JSON_CONTENT_TYPE)
      .send(bytes);
  }

  async function log(
    exchange: Exchange,
    httpStatus: number,
    body: Record<string, unknown> | null,
    responseText: string | null,
  ): Promise<void> {
    const outcome = (body?.result ?? null) as { resultStatus?: string; resultCode?: string } | null;
    await store.recordApiCall({
      at: exchange.at,
      api: exchange.api,
      client_id: exchange.clientId || null,
      request_id: exchange.requestId,
      http_status: httpStatus,
      result_status: outcome?.resultStatus ?? null,
      result_code: outcome?.resultCode ?? null,
      request_body: exchange.requestBody.toString('utf8').slice(0, LOGGED_BODY_CHARS),
      response_body: responseText?.slice(0, LOGGED_BODY_CHARS) ?? null,
      fault: exchange.fault?.mode ?? null,
      duration_ms: Date.now() - exchange.started,
    });
  }

  async function hold(ms: number): Promise<void> {
    if (ms <= 0) return;
    await delay(ms, undefined, { signal: closing }).catch(() => undefined);
  }

  function exchangeOf(request: FastifyRequest, api: string): Exchange {
    const clientHeader = request.headers['client-id'];
    return {
      api,
      path: signedPath(request.url),
      clientId: typeof clientHeader === 'string' ? clientHeader.trim() : '',
      started: Date.now(),
      at: clock.now().getTime(),
      requestBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
      requestId: null,
      fault: null,
    };
  }

  async function handle(
    api: ApiName,
    clientId: string,
    body: Buffer,
  ): Promise<ApiAnswer & { requestId: string }> {
    const fields = readBody(body);
    switch (api) {
      case 'pay': {
        const req = parsePay(fields);
        return { ...(await service.pay(clientId, req)), requestId: req.paymentRequestId };
      }
      case 'inquiryPayment': {
        const ref = parsePaymentRef(fields);
        return {
          ...(await service.inquire(clientId, ref)),
          requestId: ref.paymentRequestId ?? ref.paymentId ?? '',
        };
      }
      case 'cancelPayment': {
        const ref = parsePaymentRef(fields);
        return {
          ...(await service.cancel(clientId, ref)),
          requestId: ref.paymentRequestId ?? ref.paymentId ?? '',
        };
      }
      case 'refund': {
        const req = parseRefund(fields);
        return { ...(await service.refund(clientId, req)), requestId: req.refundRequestId };
      }
      case 'consultPayment':
        return { ...(await service.consult(parseConsult(fields))), requestId: '' };
      case 'registration': {
        const req = parseRegistration(fields);
        return { ...(await registrations.register(clientId, req)), requestId: req.registrationRequestId };
      }
      case 'inquiryRegistrationStatus': {
        const req = parseRegistrationInquiry(fields);
        return {
          ...(await registrations.inquire(clientId, req)),
          requestId: req.registrationRequestId ?? req.merchantId ?? '',
        };
      }
    }
  }

  app.post<{ Params: { group: string; api: string } }>(
    '/aps/api/v1/:group/:api',
    { bodyLimit: API_BODY_LIMIT },
    async (request, reply) => {
      const { group, api } = request.params;
      const exchange = exchangeOf(request, api);
      if (!(group in APIS) || !(APIS[group as ApiGroup] as readonly string[]).includes(api)) {
        return send(reply, exchange, 404, { result: result('INVALID_API', `no API ${api}`) });
      }
      const contentType = request.headers['content-type'] ?? '';
      if (!/^application\/json\s*(;|$)/i.test(contentType)) {
        return send(reply, exchange, 415, {
          result: result('MEDIA_TYPE_NOT_ACCEPTABLE', 'Content-Type must be application/json'),
        });
      }
      const check = await signer.checkRequest(exchange.path, request.headers, exchange.requestBody);
      if (!check.ok) return send(reply, exchange, 200, { result: result(check.code, check.message) });

      const fault = api === 'consultPayment' ? null : faults.take(api as FaultApi);
      exchange.fault = fault;
      if (fault?.mode === 'unknown')
        return send(reply, exchange, 200, { result: result('UNKNOWN_EXCEPTION') });
      if (fault?.mode === 'http500') {
        await log(exchange, 500, null, 'Internal Server Error');
        return reply.code(500).type('text/plain; charset=utf-8').send('Internal Server Error');
      }
      if (fault?.mode === 'drop') {
        await log(exchange, 0, null, null);
        reply.hijack();
        request.raw.socket.destroy();
        return reply;
      }

      let answer: ApiAnswer & { requestId: string };
      try {
        answer = await handle(api as ApiName, check.clientId, exchange.requestBody);
      } catch (error) {
        if (!(error instanceof ParamIllegal)) throw error;
        return send(reply, exchange, 200, { result: result('PARAM_ILLEGAL', error.message) });
      }
      exchange.requestId = answer.requestId || null;

      if (fault?.mode === 'timeout') {
        await log(exchange, 0, answer.body, null);
        await hold(fault.delayMs);
        reply.hijack();
        request.raw.socket.destroy();
        return reply;
      }
      await hold(Math.max(answer.holdMs ?? 0, fault?.mode === 'delay' ? fault.delayMs : 0));
      return send(reply, exchange, 200, answer.body, fault?.mode === 'badSignature');
    },
  );

  app.route<{ Params: { group: string; api: string } }>({
    method: ['GET', 'PUT', 'DELETE', 'PATCH'],
    url: '/aps/api/v1/:group/:api',
    handler: (request, reply) =>
      send(reply, exchangeOf(request, request.params.api), 405, {
        result: result('METHOD_NOT_SUPPORTED', `${request.method} is not supported; use POST`),
      }),
  });

  app.setErrorHandler(async (error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const exchange = exchangeOf(request, (request.params as { api?: string } | undefined)?.api ?? 'unknown');
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return send(reply, exchange, 413, {
        result: result('PARAM_ILLEGAL', `the body is larger than ${API_BODY_LIMIT} bytes`),
      });
    }
    if (error.statusCode && error.statusCode < 500) {
      return send(reply, exchange, error.statusCode, { result: result('PARAM_ILLEGAL', error.message) });
    }
    request.log.error({ err: error }, 'sandbox API call failed');
    return send(reply, exchange, 500, { result: result('UNKNOWN_EXCEPTION') });
  });
}
