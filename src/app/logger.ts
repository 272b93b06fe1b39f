import pino from 'pino';
import pretty from 'pino-pretty';

/**
 * The process logger (pino, Fastify's own). Secrets never reach it: request bodies and the
 * headers that carry credentials are not logged, and are redacted should anyone try.
 * In production it writes JSON lines for the log pipeline; in the demo it writes readable lines
 * to the terminal of `kessai start` (and the gateway logs requests at debug level only).
 */
export type Logger = pino.Logger;

export function createLogger(level: string, readable = false): Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'hashKey', 'apiPassword', 'privateKey'],
      censor: '[redacted]',
    },
  };
  if (!readable) return pino(options);
  return pino(
    options,
    pretty({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }),
  );
}
