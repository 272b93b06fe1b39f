import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { VNode } from 'preact';
import type { Database, Db } from '../db/database';
import type { Clock } from '../kernel/clock';
import type { NotificationService } from '../notifications/notification.service';
import type { ZenginOriginator } from '../settlement/zengin';
import type { SignedIn } from './auth.service';
import type { Action, Actor } from './permissions';
import type { RefundPort } from './refund-port';
import type { PageContext } from './views/layout';

export type ApiPasswordIssued = (
  service: { merchantId: string; serviceId: string },
  password: string,
) => void;

/** An audit row as a route describes it (who, when and from where are the request's). */
export interface AuditInput {
  action: string;
  target: string;
  merchantId: string | null;
  detail?: Record<string, unknown>;
}

/** What the console's route modules share: dependencies and the per-request helpers. */
export interface AdminKit {
  db: Kysely<Database>;
  clock: Clock;
  notifications: NotificationService;
  refunds: RefundPort | undefined;
  apiPasswordIssued: ApiPasswordIssued;
  /** Our side of the payouts' transfer files (`KESSAI_PAYOUT_ORIGINATOR`); none: no files. */
  payoutOriginator: ZenginOriginator | undefined;
  /** The page context; `path` is the GET address to switch language on (default: this URL). */
  page(request: FastifyRequest, path?: string): PageContext;
  html(reply: FastifyReply, status: number, page: VNode): FastifyReply;
  /** The signed-in session (set by the console's auth hook on every non-public route). */
  signedIn(request: FastifyRequest): SignedIn;
  actor(request: FastifyRequest): Actor;
  /** The actor when allowed to do `action`; otherwise answers 403 and returns null. */
  allow(request: FastifyRequest, reply: FastifyReply, action: Action): Actor | null;
  forbidden(request: FastifyRequest, reply: FastifyReply): FastifyReply;
  notFound(request: FastifyRequest, reply: FastifyReply): FastifyReply;
  /** Writes the audit row; pass the change's open transaction so the row commits with it. */
  audit(request: FastifyRequest, entry: AuditInput, tx?: Db): Promise<void>;
  /**
   * Makes a change and writes its audit row in one transaction, so both commit or neither does;
   * `entry` describes the change from its result. Returns the result.
   */
  audited<T>(
    request: FastifyRequest,
    change: (tx: Db) => Promise<T>,
    entry: (result: T, tx: Db) => AuditInput | Promise<AuditInput>,
  ): Promise<T>;
}

/** The console user an audit row names when a repository writes it inside its own transaction. */
export function auditActor(
  actor: Actor,
  request: FastifyRequest,
): { actorUserId: string; actorEmail: string; ip: string } {
  return { actorUserId: actor.userId, actorEmail: actor.email, ip: request.ip };
}

/** A form field as a string ('' when absent or not a string). */
export function formField(body: unknown, name: string): string {
  if (typeof body !== 'object' || body === null) return '';
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}
