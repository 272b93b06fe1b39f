import type { VNode } from 'preact';
import type { PayoutRow } from '../../settlement/payout.repository';
import { countText, jstText, yenText } from '../format';
import { CsrfField, Layout, ListTable, Notice, type PageContext } from './layout';
import { PayoutTable } from './statements-page';

export interface ZenginFileSummary {
  file_id: number;
  transfer_date: string;
  transfers: number;
  total: number;
  created_by: string;
  created_at: number;
}

/** The operators' payouts: transfer files per payout date, and marking payouts paid. */
export function PayoutsPage(props: {
  page: PageContext;
  payouts: PayoutRow[];
  files: ZenginFileSummary[];
  notices: Array<{ kind: 'ok' | 'warn' | 'error'; text: string }>;
}): VNode {
  const { page } = props;
  const p = page.t.payouts;
  const s = page.t.statements;
  const dates = [
    ...new Set(props.payouts.filter((r) => r.status === 'SCHEDULED').map((r) => r.payout_date)),
  ].sort();
  return (
    <Layout page={page} title={p.title} current="payouts">
      {props.notices.map((n) => (
        <Notice kind={n.kind}>{n.text}</Notice>
      ))}
      <p>{p.intro}</p>
      {dates.length > 0 && (
        <div class="card actions">
          {dates.map((date) => (
            <form method="post" action="/admin/payouts/file">
              <CsrfField page={page} />
              <input type="hidden" name="date" value={date} />
              <button type="submit">
                {p.generate} ({date})
              </button>
            </form>
          ))}
        </div>
      )}
      <PayoutTable page={page} payouts={props.payouts} empty={p.none} markPaid />
      <h2>{p.importTitle}</h2>
      <form method="post" action="/admin/payouts/import" enctype="multipart/form-data" class="card actions">
        <CsrfField page={page} />
        <label for="result-file">{p.resultFile}</label>
        <input id="result-file" type="file" name="result" required />
        <button type="submit">{p.import}</button>
      </form>
      <h2>{p.files}</h2>
      <ListTable
        id="zengin-files"
        label={p.files}
        empty={p.noFiles}
        head={
          <>
            <th scope="col">{p.file}</th>
            <th scope="col">{s.payoutDate}</th>
            <th scope="col" class="num">
              {p.transfers}
            </th>
            <th scope="col" class="num">
              {s.total}
            </th>
            <th scope="col">{p.createdBy}</th>
            <th scope="col">{p.createdAt}</th>
          </>
        }
        rows={props.files.map((f) => (
          <tr>
            <td>
              <a href={`/admin/payouts/files/${f.file_id}`} download>
                {p.download} #{f.file_id}
              </a>
            </td>
            <td>{f.transfer_date}</td>
            <td class="num">{countText(f.transfers)}</td>
            <td class="num">{yenText(f.total)}</td>
            <td>{f.created_by}</td>
            <td>{jstText(f.created_at)}</td>
          </tr>
        ))}
      />
    </Layout>
  );
}
