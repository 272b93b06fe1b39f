import type { VNode } from 'preact';
import { jstText } from '../../admin/format';
import { CsrfField, Layout, Notice, type PageContext, Scroll } from '../../admin/views/layout';
import { MerchantPicker } from '../../admin/views/merchant-picker';
import { GOVERNANCE_TEXTS } from '../governance-i18n';
import { NOTICE_KINDS, type NoticeKind, type NoticeLink } from '../notice';
import type { InboxEntry } from '../notice.repository';

/** The console inbox (governance.md, Notices): newest first, filter by kind, unread marked. */
export function NoticesPage(props: {
  page: PageContext;
  entries: InboxEntry[];
  kind: NoticeKind | null;
  unreadOnly: boolean;
  olderHref: string | null;
  canEditAddresses: boolean;
}): VNode {
  const { page } = props;
  const g = GOVERNANCE_TEXTS[page.lang];
  const n = g.notices;
  return (
    <Layout page={page} title={n.title} current="notices">
      <form method="get" action="/admin/notices" class="filters card">
        <div>
          <label for="kind">{n.kind}</label>
          <select id="kind" name="kind">
            <option value="">{n.allKinds}</option>
            {NOTICE_KINDS.map((k) => (
              <option value={k} selected={props.kind === k}>
                {g.kinds[k]}
              </option>
            ))}
          </select>
        </div>
        <fieldset>
          <label>
            <input type="checkbox" name="unread" value="1" checked={props.unreadOnly} /> {n.unreadOnly}
          </label>
        </fieldset>
        <div class="actions">
          <button type="submit" class="secondary">
            {n.filter}
          </button>
        </div>
      </form>
      <div class="actions">
        <form method="post" action="/admin/notices/read-all">
          <CsrfField page={page} />
          <button type="submit" class="secondary">
            {n.markAllRead}
          </button>
        </form>
        {props.canEditAddresses && <a href="/admin/notices/addresses">{n.addresses}</a>}
      </div>
      {props.entries.length === 0 ? (
        <p>{n.none}</p>
      ) : (
        <Scroll label={n.title}>
          <table id="notices">
            <thead>
              <tr>
                <th scope="col">{n.at}</th>
                <th scope="col">{n.kind}</th>
                <th scope="col">{n.severity}</th>
                <th scope="col" class="wrap">
                  {n.subject}
                </th>
                <th scope="col">{n.read}</th>
              </tr>
            </thead>
            <tbody>
              {props.entries.map((e) => (
                <tr class={e.readAt === null ? 'unread-row' : undefined} data-notice={e.id}>
                  <td>{jstText(e.createdAt)}</td>
                  <td>{g.kinds[e.kind]}</td>
                  <td>
                    <span class={`badge ${e.severity}`}>{g.severities[e.severity]}</span>
                  </td>
                  <td class="wrap">
                    <a href={`/admin/notices/${e.id}`}>
                      {e.readAt === null ? <strong>{e.title[page.lang]}</strong> : e.title[page.lang]}
                    </a>
                  </td>
                  <td>{e.readAt === null ? n.unreadMark : jstText(e.readAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      {props.olderHref && (
        <p class="pager">
          <a href={props.olderHref}>{n.older}</a>
        </p>
      )}
    </Layout>
  );
}

export function NoticeDetailPage(props: { page: PageContext; entry: InboxEntry }): VNode {
  const { page, entry } = props;
  const g = GOVERNANCE_TEXTS[page.lang];
  const n = g.notices;
  const linkOf = (link: NoticeLink) =>
    link.type === 'payment'
      ? { href: `/admin/payments/${encodeURIComponent(link.trackingId)}`, label: n.payment(link.trackingId) }
      : { href: link.path, label: link.label[page.lang] };
  return (
    <Layout page={page} title={entry.title[page.lang]} current="notices">
      <section class="card" id="notice">
        <dl class="fields">
          <dt>{n.at}</dt>
          <dd>{jstText(entry.createdAt)}</dd>
          <dt>{n.kind}</dt>
          <dd>{g.kinds[entry.kind]}</dd>
          <dt>{n.severity}</dt>
          <dd>{g.severities[entry.severity]}</dd>
          {page.actor?.role === 'operator' && (
            <>
              <dt>{n.merchants}</dt>
              <dd>{entry.merchants === 'all' ? n.all : entry.merchants.join(', ')}</dd>
            </>
          )}
        </dl>
        <h2 lang="ja">{entry.title.ja}</h2>
        <pre lang="ja">{entry.body.ja}</pre>
        <h2 lang="en">{entry.title.en}</h2>
        <pre lang="en">{entry.body.en}</pre>
        {entry.links.length > 0 && (
          <>
            <h3>{n.links}</h3>
            <ul>
              {entry.links.map((link) => {
                const { href, label } = linkOf(link);
                return (
                  <li>
                    <a href={href}>{label}</a>
                  </li>
                );
              })}
            </ul>
          </>
        )}
      </section>
      <p>
        <a href="/admin/notices">{n.back}</a>
      </p>
    </Layout>
  );
}

export function NoticeAddressesPage(props: {
  page: PageContext;
  merchants: string[] | null;
  merchantId: string;
  addresses: string;
  message: { kind: 'ok' | 'error'; text: string } | null;
}): VNode {
  const { page } = props;
  const n = GOVERNANCE_TEXTS[page.lang].notices;
  return (
    <Layout page={page} title={n.addresses} current="notices">
      {props.merchants && (
        <MerchantPicker
          page={page}
          action="/admin/notices/addresses"
          merchants={props.merchants}
          selected={props.merchantId}
        />
      )}
      {props.message && <Notice kind={props.message.kind}>{props.message.text}</Notice>}
      <form method="post" action="/admin/notices/addresses" class="card">
        <CsrfField page={page} />
        <input type="hidden" name="merchant" value={props.merchantId} />
        <div class="field">
          <label for="addresses">
            {n.addresses} ({n.merchant} {props.merchantId})
          </label>
          <textarea id="addresses" name="addresses" aria-describedby="addresses-help">
            {props.addresses}
          </textarea>
          <p class="note" id="addresses-help">
            {n.addressesHelp}
          </p>
        </div>
        <button type="submit">{n.save}</button>
      </form>
      <p>
        <a href="/admin/notices">{n.back}</a>
      </p>
    </Layout>
  );
}
