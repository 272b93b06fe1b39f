import pino from 'pino';

/**
 * The process logger (pino, Fastify's own). Secrets never reach it: request bodies and the
 * headers that carry credentials are not logged, and are redacted should anyone try.
 */
export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'hashKey', 'apiPassword', 'privateKey'],
      censor: '[redacted]',
    },
  });
}
