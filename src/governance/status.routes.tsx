import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { Layout, renderDocument } from '../channels/link/views/layout';
import type { Database } from '../db/database';
import type { Clock } from '../kernel/clock';
import { loadPublicStatus, type PublicStatus } from './status';

/**
 * `/status` (HTML) and `/status.json` on the gateway: public, no session, cacheable for a short
 * while so that a crowd of shoppers and merchants checking it costs little.
 */
export async function statusRoutes(
  app: FastifyInstance,
  options: { db: Kysely<Database>; clock: Clock },
): Promise<void> {
  const { db, clock } = options;

  app.get('/status.json', async (_request, reply) => {
    const status = await loadPublicStatus(db, clock.now());
    return reply
      .header('Cache-Control', 'public, max-age=30')
      .header('X-Content-Type-Options', 'nosniff')
      .send(status);
  });

  app.get('/status', async (_request, reply) => {
    const status = await loadPublicStatus(db, clock.now());
    const nonce = randomBytes(16).toString('base64');
    return reply
      .header('Cache-Control', 'public, max-age=30')
      .header('X-Content-Type-Options', 'nosniff')
      .header('X-Frame-Options', 'DENY')
      .header(
        'Content-Security-Policy',
        `default-src 'none'; style-src 'nonce-${nonce}'; frame-ancestors 'none'; base-uri 'none'`,
      )
      .type('text/html; charset=utf-8')
      .send(renderStatusPage(status, nonce));
  });
}

const STATE_TEXT: Record<PublicStatus['state'], [string, string]> = {
  operational: ['正常に稼働しています', 'All systems operational'],
  maintenance: ['メンテナンス中です', 'Maintenance in progress'],
  disturbed: ['Alipay+ で障害が発生しています', 'Alipay+ is disturbed'],
};

const SCOPE_TEXT = {
  GATEWAY: ['ゲートウェイ全体', 'Whole gateway'],
  ALIPAYPLUS: ['Alipay+', 'Alipay+'],
} as const;

function minute(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

export function renderStatusPage(status: PublicStatus, nonce: string): string {
  const [ja, en] = STATE_TEXT[status.state];
  return renderDocument(
    <Layout lang="ja" title="Kessai ステータス / Status" nonce={nonce}>
      <h1>
        Kessai ステータス <span lang="en">/ Status</span>
      </h1>
      <p id="state" data-state={status.state}>
        <strong>{ja}</strong>
        <br />
        <span lang="en" class="en">
          {en}
        </span>
      </p>
      {status.incidents.map((incident) => (
        <section class="card" data-incident={incident.id}>
          <h2>
            障害 <span lang="en">/ Incident</span> #{incident.id}
          </h2>
          <dl>
            <dt>
              発生 <span lang="en">/ Since</span>
            </dt>
            <dd>{minute(incident.since)} JST</dd>
            <dt>
              状態 <span lang="en">/ Status</span>
            </dt>
            <dd>{incident.status === 'identified' ? '原因判明 / Identified' : '調査中 / Investigating'}</dd>
            {incident.cause && (
              <>
                <dt>
                  原因 <span lang="en">/ Cause</span>
                </dt>
                <dd>
                  {incident.cause.ja}
                  <br />
                  <span lang="en" class="en">
                    {incident.cause.en}
                  </span>
                </dd>
              </>
            )}
          </dl>
        </section>
      ))}
      <h2>
        メンテナンス <span lang="en">/ Maintenance</span>
      </h2>
      {status.maintenance.length === 0 ? (
        <p>
          予定はありません。
          <span lang="en" class="en">
            {' '}
            None scheduled.
          </span>
        </p>
      ) : (
        status.maintenance.map((w) => (
          <section class="card" data-maintenance={w.id}>
            <dl>
              <dt>
                期間 <span lang="en">/ Window</span>
              </dt>
              <dd>
                {minute(w.startsAt)} – {minute(w.endsAt)} JST
                {w.inProgress && ' (実施中 / in progress)'}
              </dd>
              <dt>
                対象 <span lang="en">/ Scope</span>
              </dt>
              <dd>
                {SCOPE_TEXT[w.scope][0]} / {SCOPE_TEXT[w.scope][1]}
                {w.emergency && ' (緊急 / emergency)'}
              </dd>
            </dl>
            <p>{w.text.ja}</p>
            <p lang="en" class="en">
              {w.text.en}
            </p>
          </section>
        ))
      )}
      <p class="en">
        {minute(status.generatedAt)} JST · <a href="/status.json">status.json</a>
      </p>
    </Layout>,
  );
}
