import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import pino from 'pino';
import pretty from 'pino-pretty';

/**
 * The process logger (pino, Fastify's own). Secrets never reach it: request bodies and the
 * headers that carry credentials are not logged, and are redacted should anyone try.
 * In production it writes JSON lines for the log pipeline; in the demo it writes readable lines
 * to the terminal of `kessai start`, one line per request at debug level (`QuietRequestLogs`).
 */
export type Logger = pino.Logger;

/** `destination` (standard output by default) lets a test read the JSON lines. */
export function createLogger(level: string, readable = false, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'hashKey', 'apiPassword', 'privateKey'],
      censor: '[redacted]',
    },
  };
  if (!readable) return destination ? pino(options, destination) : pino(options);
  return pino(
    options,
    pretty({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }),
  );
}

/**
 * Request logs for the demo's terminal: Fastify's two lines per request become one, at debug level
 * (`KESSAI_LOG_LEVEL=debug` shows them); failed requests stay errors.
 */
export class QuietRequestLogs extends LogController {
  override incomingRequest(): void {}

  /** The request's own line says 404. */
  override routeNotFound(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) {
      super.requestCompleted(error, request, reply);
      return;
    }
    request.log.debug(
      `${request.method} ${request.url} ${reply.statusCode} ${reply.elapsedTime.toFixed(0)} ms`,
    );
  }
}
