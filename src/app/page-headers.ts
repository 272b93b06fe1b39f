import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import { randomText } from '../kernel/ids';

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's CSP nonce: a page's one inline style and script carry it (empty off the pages). */
    cspNonce: string;
  }
}

/**
 * The security headers of our HTML pages (the hosted Link pages and the console), set by
 * `@fastify/helmet` on every request of the plugin that calls this: no framing, no referrer (a
 * page's URL can hold its token), no sniffing, nothing cached, and a CSP that admits nothing but
 * the inline style and script carrying this request's nonce. Helmet's other defaults are off: the
 * pages send exactly these headers.
 */
export async function registerPageHeaders(
  app: FastifyInstance,
  options: {
    /** Added to the base policy: the console posts its forms only to itself, while the Link pages
     * auto-post to merchants and Alipay+, so they cannot say `form-action 'self'`. */
    directives?: Readonly<Record<string, string[]>>;
    /** Strict-Transport-Security on answers to HTTPS requests (the console's cookies ride on it). */
    hsts: boolean;
  },
): Promise<void> {
  app.decorateRequest('cspNonce', '');
  // Not global: the policy depends on the request's nonce, so each request applies it below.
  await app.register(helmet, {
    global: false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
  app.addHook('onRequest', async (request, reply) => {
    const nonce = randomText(16, 'base64');
    request.cspNonce = nonce;
    reply.helmet({
      strictTransportSecurity:
        options.hsts && request.protocol === 'https'
          ? { maxAge: 31_536_000, includeSubDomains: false }
          : false,
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'none'"],
          'style-src': [`'nonce-${nonce}'`],
          'script-src': [`'nonce-${nonce}'`],
          'img-src': ["'self'", 'data:'],
          ...options.directives,
          'frame-ancestors': ["'none'"],
          'base-uri': ["'none'"],
        },
      },
    });
    reply.header('Cache-Control', 'no-store');
  });
}
