import type { VNode } from 'preact';
import type { AuditRecord } from '../audit.repository';
import { jstText } from '../format';
import { Layout, type PageContext, Scroll } from './layout';

export function AuditPage(props: {
  page: PageContext;
  rows: AuditRecord[];
  olderHref: string | null;
  paged: boolean;
}): VNode {
  const { page } = props;
  const a = page.t.audit;
  const operator = page.actor?.role === 'operator';
  return (
    <Layout page={page} title={a.title} current="audit">
      {props.rows.length === 0 ? (
        <p>{a.none}</p>
      ) : (
        <Scroll label={a.title}>
          <table id="audit">
            <thead>
              <tr>
                <th scope="col">{a.at}</th>
                <th scope="col">{a.actor}</th>
                <th scope="col">{a.action}</th>
                <th scope="col">{a.target}</th>
                {operator && <th scope="col">{page.t.search.merchant}</th>}
                <th scope="col" class="wrap">
                  {a.detail}
                </th>
                <th scope="col">{a.ip}</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((r) => (
                <tr>
                  <td>{jstText(r.at)}</td>
                  <td>{r.actorEmail}</td>
                  <td>{r.action}</td>
                  <td>
                    {/^\d{14}$/.test(r.target) ? (
                      <a href={`/admin/payments/${r.target}`}>{r.target}</a>
                    ) : (
                      r.target
                    )}
                  </td>
                  {operator && <td>{r.merchantId ?? ''}</td>}
                  <td class="wrap">
                    {Object.entries(r.detail)
                      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
                      .join(', ')}
                  </td>
                  <td>{r.ip}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      <nav class="pager" aria-label={a.title}>
        {props.paged && <a href="/admin/audit">{a.newest}</a>}
        {props.olderHref && (
          <a href={props.olderHref} rel="next">
            {a.older}
          </a>
        )}
      </nav>
    </Layout>
  );
}
