import { timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sha256Hex } from '../kernel/hashing';

/**
 * Who may use the control API and the console (sandbox.md, Control API): they inject faults, move
 * the clock and register clients, so by default only callers on this machine (loopback) may. With
 * a control token set, other callers are let in when they present it — `Authorization: Bearer
 * <token>`, or HTTP Basic with the token as the password, which a browser asks for on the console.
 */
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');
loopback.addAddress('::1', 'ipv6');

export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const family = isIP(address);
  return family !== 0 && loopback.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The token a request presents, if any. */
function presentedToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization ?? '';
  const bearer = /^Bearer ([\x21-\x7e]+)$/i.exec(header);
  if (bearer) return bearer[1]!;
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!basic) return null;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? null : decoded.slice(colon + 1);
}

/** Compared as SHA-256 digests: constant time whatever the lengths. */
function tokensEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(Buffer.from(sha256Hex(presented), 'hex'), Buffer.from(sha256Hex(expected), 'hex'));
}

/** Adds the check to every route of `app` (the scope holding the control API and the console). */
export function guardControlAccess(app: FastifyInstance, controlToken: string | undefined): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    // The socket's own address: no forwarding header can make a remote caller look local.
    if (isLoopbackAddress(request.socket.remoteAddress)) return;
    if (controlToken === undefined) {
      return reply.code(403).send({ error: 'the control API and console answer loopback callers only' });
    }
    const token = presentedToken(request);
    if (token === null || !tokensEqual(token, controlToken)) {
      return reply
        .code(401)
        .header('WWW-Authenticate', 'Basic realm="Kessai sandbox control", charset="UTF-8"')
        .send({ error: 'a valid control token is required' });
    }
  });
}
