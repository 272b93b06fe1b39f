import type { VNode } from 'preact';
import type { Discrepancy } from '../../settlement/discrepancy.repository';
import type { ReportFileSummary } from '../../settlement/report-files.repository';
import { countText, jstText, yenText } from '../format';
import { CsrfField, Layout, ListTable, Notice, type PageContext, Scroll } from './layout';

export interface ReportsPageProps {
  page: PageContext;
  open: Discrepancy[];
  resolved: Discrepancy[];
  files: ReportFileSummary[];
  suspense: number;
  notices: Array<{ kind: 'ok' | 'warn' | 'error'; text: string }>;
}

/** Operators' reconciliation screen (settlement.md): the reports fetched and what they disagree on. */
export function ReportsPage(props: ReportsPageProps): VNode {
  const { page } = props;
  const r = page.t.reports;
  return (
    <Layout page={page} title={r.title} current="reports">
      {props.notices.map((n) => (
        <Notice kind={n.kind}>{n.text}</Notice>
      ))}
      <p>
        {r.suspense}:{' '}
        <strong id="suspense">
          {props.suspense < 0 ? `${r.credit} ` : ''}
          {yenText(Math.abs(props.suspense))}
        </strong>
      </p>
      <h2>
        {r.open} ({countText(props.open.length)})
      </h2>
      <ListTable
        id="open-discrepancies"
        label={r.open}
        empty={r.noneOpen}
        head={
          <>
            <DiscrepancyHead page={page} />
            <th scope="col">{r.ours}</th>
            <th scope="col">{r.theirs}</th>
            <th scope="col">{r.found}</th>
            <th scope="col">{r.note}</th>
          </>
        }
        rows={props.open.map((d) => (
          <tr id={`discrepancy-${d.discrepancy_id}`}>
            <DiscrepancyCells page={page} d={d} />
            <td>{d.ours ?? ''}</td>
            <td>{d.theirs ?? ''}</td>
            <td>{jstText(Number(d.created_at))}</td>
            <td>
              <form
                method="post"
                action={`/admin/reports/discrepancies/${d.discrepancy_id}/resolve`}
                class="actions"
              >
                <CsrfField page={page} />
                <input name="note" required maxLength={1000} aria-label={`${r.note} ${d.discrepancy_id}`} />
                <button type="submit">{r.resolve}</button>
              </form>
            </td>
          </tr>
        ))}
      />
      {props.resolved.length > 0 && (
        <>
          <h2>{r.resolved}</h2>
          <Scroll label={r.resolved}>
            <table id="resolved-discrepancies">
              <thead>
                <tr>
                  <DiscrepancyHead page={page} />
                  <th scope="col">{r.resolvedBy}</th>
                  <th scope="col" class="wrap">
                    {r.note}
                  </th>
                </tr>
              </thead>
              <tbody>
                {props.resolved.map((d) => (
                  <tr>
                    <DiscrepancyCells page={page} d={d} />
                    <td>
                      {d.resolved_by ?? ''} {d.resolved_at === null ? '' : jstText(Number(d.resolved_at))}
                    </td>
                    <td class="wrap">{d.resolution_note ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
        </>
      )}
      <h2>{r.files}</h2>
      <ListTable
        id="report-files"
        label={r.files}
        empty={r.noFiles}
        head={
          <>
            <th scope="col">{r.file}</th>
            <th scope="col">{r.kind}</th>
            <th scope="col">{r.fetched}</th>
            <th scope="col">{r.size}</th>
            <th scope="col">SHA-256</th>
          </>
        }
        rows={props.files.map((f) => (
          <tr>
            <td>
              {f.directory}/{f.file_name}
            </td>
            <td>{f.kind}</td>
            <td>{jstText(Number(f.fetched_at))}</td>
            <td>{countText(Number(f.size))}</td>
            <td>
              <code>{f.sha256.slice(0, 16)}…</code>
            </td>
          </tr>
        ))}
      />
    </Layout>
  );
}

/** The columns both discrepancy tables start with. */
function DiscrepancyHead(props: { page: PageContext }): VNode {
  const r = props.page.t.reports;
  return (
    <>
      <th scope="col">{r.id}</th>
      <th scope="col">{r.kind}</th>
      <th scope="col" class="wrap">
        {r.detail}
      </th>
    </>
  );
}

function DiscrepancyCells(props: { page: PageContext; d: Discrepancy }): VNode {
  const { d } = props;
  return (
    <>
      <td>{d.discrepancy_id}</td>
      <td>{props.page.t.reports.kinds[d.kind] ?? d.kind}</td>
      <td class="wrap">{d.detail}</td>
    </>
  );
}
