import type { VNode } from 'preact';
import type { BankAccount, PayoutRow } from '../../settlement/payout.repository';
import type { StatementLineRow, StatementRow } from '../../settlement/statement.repository';
import { jstText, signedYenText, yenText } from '../format';
import { CsrfField, Layout, Notice, type PageContext, PostButton, Scroll } from './layout';
import { MerchantPicker } from './merchant-picker';

type Notices = Array<{ kind: 'ok' | 'warn' | 'error'; text: string }>;

/** Statements (settlement.md, Paying merchants): the list, upcoming payouts, the payout account. */
export interface StatementsPageProps {
  page: PageContext;
  /** Operators choose the merchant; null for a merchant's people. */
  merchants: string[] | null;
  merchantId: string;
  statements: StatementRow[];
  upcoming: PayoutRow[];
  bankAccount: BankAccount | undefined;
  /** The bank account form is offered to those who may change settings. */
  canEditBank: boolean;
  notices: Notices;
  /** The form's values after a refusal. */
  bankForm?: Record<string, string>;
}

export function StatementsPage(props: StatementsPageProps): VNode {
  const { page } = props;
  const s = page.t.statements;
  return (
    <Layout page={page} title={s.title} current="statements">
      {props.notices.map((n) => (
        <Notice kind={n.kind}>{n.text}</Notice>
      ))}
      <p>{s.intro}</p>
      {props.merchants && (
        <MerchantPicker
          page={page}
          action="/admin/statements"
          merchants={props.merchants}
          selected={props.merchantId}
        />
      )}
      {props.statements.length === 0 ? (
        <p>{s.none}</p>
      ) : (
        <Scroll label={s.title}>
          <table id="statements">
            <thead>
              <tr>
                <th scope="col">{s.period}</th>
                <th scope="col" class="num">
                  {s.captured}
                </th>
                <th scope="col" class="num">
                  {s.refunded}
                </th>
                <th scope="col" class="num">
                  {s.fees}
                </th>
                <th scope="col" class="num">
                  {s.net}
                </th>
                <th scope="col" class="num">
                  {s.carriedIn}
                </th>
                <th scope="col" class="num">
                  {s.payout}
                </th>
                <th scope="col" class="num">
                  {s.carriedOut}
                </th>
                <th scope="col">{s.payoutDate}</th>
              </tr>
            </thead>
            <tbody>
              {props.statements.map((r) => (
                <tr>
                  <td>
                    <a href={`/admin/statements/${r.statement_id}`}>
                      {r.period_from}〜{r.period_close}
                    </a>
                  </td>
                  <td class="num">{yenText(r.captured)}</td>
                  <td class="num">{yenText(r.refunded)}</td>
                  <td class="num">{signedYenText(r.fees)}</td>
                  <td class="num">{signedYenText(r.net)}</td>
                  <td class="num">{signedYenText(r.carried_in)}</td>
                  <td class="num">{yenText(r.payout_amount)}</td>
                  <td class="num">{signedYenText(r.carried_out)}</td>
                  <td>{r.payout_date}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      <h2>{s.upcoming}</h2>
      <PayoutTable page={page} payouts={props.upcoming} empty={s.noUpcoming} />
      <BankAccountCard {...props} />
    </Layout>
  );
}

export function PayoutTable(props: {
  page: PageContext;
  payouts: PayoutRow[];
  empty: string;
  /** Operators mark sent payouts paid from here. */
  markPaid?: boolean;
}): VNode {
  const { page } = props;
  const s = page.t.statements;
  const p = page.t.payouts;
  if (props.payouts.length === 0) return <p>{props.empty}</p>;
  return (
    <Scroll label={s.upcoming}>
      <table id="payouts">
        <thead>
          <tr>
            <th scope="col">{p.id}</th>
            <th scope="col">{s.merchant}</th>
            <th scope="col">{s.payoutDate}</th>
            <th scope="col" class="num">
              {s.payout}
            </th>
            <th scope="col">{s.status}</th>
            {props.markPaid && <th scope="col">{p.markPaid}</th>}
          </tr>
        </thead>
        <tbody>
          {props.payouts.map((r) => (
            <tr>
              <td>{r.payout_id}</td>
              <td>{r.merchant_id}</td>
              <td>{r.payout_date}</td>
              <td class="num">{yenText(r.amount)}</td>
              <td>
                <span class={`badge ${r.status}`}>{s.statuses[r.status] ?? r.status}</span>
              </td>
              {props.markPaid && (
                <td>
                  {r.status === 'SENT' && (
                    <PostButton
                      page={page}
                      action={`/admin/payouts/${r.payout_id}/paid`}
                      confirm={p.confirmPaid}
                      label={p.markPaid}
                    />
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}

function BankAccountCard(props: StatementsPageProps): VNode {
  const { page, bankAccount: a } = props;
  const b = page.t.statements.bank;
  const value = (name: string, current: string | undefined) => props.bankForm?.[name] ?? current ?? '';
  const field = (name: string, label: string, current: string | undefined, max: number) => (
    <div class="field">
      <label for={`bank-${name}`}>{label}</label>
      <input id={`bank-${name}`} name={name} value={value(name, current)} maxLength={max} required />
    </div>
  );
  return (
    <section class="card" aria-labelledby="bank-title">
      <h2 id="bank-title">{b.title}</h2>
      {a ? (
        <p>
          {a.bankCode} {a.bankName} / {a.branchCode} {a.branchName} / {b.types[a.accountType]}{' '}
          {a.accountNumber} / {a.holderName}
        </p>
      ) : (
        <Notice kind="warn">{b.none}</Notice>
      )}
      {props.canEditBank && (
        <form method="post" action="/admin/bank-account" class="filters">
          <CsrfField page={page} />
          <input type="hidden" name="merchant" value={props.merchantId} />
          {field('bank_code', b.bankCode, a?.bankCode, 4)}
          {field('bank_name', b.bankName, a?.bankName, 30)}
          {field('branch_code', b.branchCode, a?.branchCode, 3)}
          {field('branch_name', b.branchName, a?.branchName, 30)}
          <div class="field">
            <label for="bank-account_type">{b.accountType}</label>
            <select id="bank-account_type" name="account_type">
              {Object.entries(b.types).map(([code, label]) => (
                <option value={code} selected={value('account_type', a?.accountType) === code}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          {field('account_number', b.accountNumber, a?.accountNumber, 7)}
          {field('holder_name', b.holderName, a?.holderName, 60)}
          <div class="field">
            <button type="submit">{b.save}</button>
          </div>
        </form>
      )}
    </section>
  );
}

/** One statement with the ledger entries behind it. */
export function StatementPage(props: {
  page: PageContext;
  statement: StatementRow;
  lines: StatementLineRow[];
}): VNode {
  const { page, statement: r } = props;
  const s = page.t.statements;
  const base = `/admin/statements/${r.statement_id}`;
  const figures: Array<[string, string]> = [
    [s.merchant, r.merchant_id],
    [s.period, `${r.period_from}〜${r.period_close}`],
    [s.captured, yenText(r.captured)],
    [s.refunded, yenText(r.refunded)],
    [s.fees, signedYenText(r.fees)],
    [s.net, signedYenText(r.net)],
    [s.carriedIn, signedYenText(r.carried_in)],
    [s.payout, yenText(r.payout_amount)],
    [s.carriedOut, signedYenText(r.carried_out)],
    [s.payoutDate, r.payout_date],
    [s.issuedAt, jstText(r.issued_at)],
  ];
  const sum = (pick: (l: StatementLineRow) => number) => props.lines.reduce((t, l) => t + pick(l), 0);
  return (
    <Layout page={page} title={s.heading(r.merchant_id, r.period_from, r.period_close)} current="statements">
      <div class="card">
        <dl class="fields" id="statement-figures">
          {figures.map(([label, v]) => (
            <>
              <dt>{label}</dt>
              <dd>{v}</dd>
            </>
          ))}
        </dl>
      </div>
      <p class="actions">
        <a class="button secondary" href={`${base}.csv`} download>
          {s.csvUtf8}
        </a>
        <a class="button secondary" href={`${base}.csv?encoding=sjis`} download>
          {s.csvSjis}
        </a>
        <a class="button secondary" href={`${base}.pdf`} download>
          {s.pdf}
        </a>
      </p>
      <h2>{s.lines}</h2>
      <Scroll label={s.lines}>
        <table id="statement-lines">
          <thead>
            <tr>
              <th scope="col">{s.date}</th>
              <th scope="col">{s.kind}</th>
              <th scope="col">{s.trackingId}</th>
              <th scope="col" class="num">
                {s.gross}
              </th>
              <th scope="col" class="num">
                {s.fee}
              </th>
              <th scope="col" class="num">
                {s.amount}
              </th>
            </tr>
          </thead>
          <tbody>
            {props.lines.map((l) => (
              <tr>
                <td>{l.business_date}</td>
                <td>{s.kinds[l.kind] ?? l.kind}</td>
                <td>
                  {l.tracking_id ? <a href={`/admin/payments/${l.tracking_id}`}>{l.tracking_id}</a> : ''}
                </td>
                <td class="num">{signedYenText(l.gross)}</td>
                <td class="num">{signedYenText(l.fee)}</td>
                <td class="num">{signedYenText(l.amount)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={3}>
                {s.total}
              </th>
              <td class="num">{signedYenText(sum((l) => l.gross))}</td>
              <td class="num">{signedYenText(sum((l) => l.fee))}</td>
              <td class="num">{signedYenText(sum((l) => l.amount))}</td>
            </tr>
          </tfoot>
        </table>
      </Scroll>
    </Layout>
  );
}
