import type { VNode } from 'preact';
import { SUB_BRANDS, subBrandByCode } from '../../merchants/sub-brands';
import { PAYMENT_STATUSES } from '../../payments/payment-states';
import { jstText, yenText } from '../format';
import {
  type Cursor,
  cursorText,
  type PaymentListRow,
  type SearchField,
  type SearchValues,
} from '../payment-search';
import { InvestigationFlag } from './case-pages';
import { Layout, Notice, type PageContext, Scroll } from './layout';

export interface SearchPageProps {
  page: PageContext;
  values: SearchValues;
  errors: string[];
  /** Null when the criteria were refused. */
  results: { rows: PaymentListRow[]; next: Cursor | null; paged: boolean } | null;
  canCsv: boolean;
  /** The fraud investigations concerning payments of this page, by tracking id. */
  flags: ReadonlyMap<string, ReadonlyArray<{ investigationId: string; status: string }>>;
}

function queryOf(values: SearchValues, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== '') params.set(k, v);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return params.toString();
}

function Input(props: {
  name: SearchField;
  label: string;
  values: SearchValues;
  type?: string;
  inputMode?: 'numeric';
  describedBy?: string;
}): VNode {
  const id = `f-${props.name}`;
  return (
    <div>
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.values[props.name]}
        inputMode={props.inputMode}
        aria-describedby={props.describedBy}
        maxLength={100}
      />
    </div>
  );
}

export function SearchPage(props: SearchPageProps): VNode {
  const { page, values, results } = props;
  const { t } = page;
  const s = t.search;
  const operator = page.actor?.role === 'operator';
  return (
    <Layout page={page} title={s.title} current="payments">
      <section class="card" aria-labelledby="criteria">
        <h2 id="criteria">{s.criteria}</h2>
        {props.errors.length > 0 && (
          <Notice kind="error">
            <ul>
              {props.errors.map((e) => (
                <li>{e}</li>
              ))}
            </ul>
          </Notice>
        )}
        <p id="range-hint" class="note">
          {s.rangeHint}
        </p>
        <form class="filters" method="get" action="/admin/payments">
          <Input
            name="from"
            label={`${s.from} *`}
            values={values}
            type="datetime-local"
            describedBy="range-hint"
          />
          <Input name="to" label={s.to} values={values} type="datetime-local" describedBy="range-hint" />
          {operator && <Input name="merchant" label={s.merchant} values={values} />}
          <Input name="service" label={s.service} values={values} />
          <Input name="order_id" label={s.orderId} values={values} />
          <Input name="tracking_id" label={s.trackingId} values={values} inputMode="numeric" />
          <div>
            <label for="f-status">{s.status}</label>
            <select id="f-status" name="status">
              <option value="">{s.any}</option>
              {PAYMENT_STATUSES.map((st) => (
                <option value={st} selected={values.status === st}>
                  {t.statusLabel(st)}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="f-sub_brand">{s.subBrand}</label>
            <select id="f-sub_brand" name="sub_brand">
              <option value="">{s.any}</option>
              {SUB_BRANDS.map((b) => (
                <option value={b.code} selected={values.sub_brand === b.code}>
                  {b.name}
                </option>
              ))}
            </select>
          </div>
          <Input name="amount_min" label={s.amountMin} values={values} inputMode="numeric" />
          <Input name="amount_max" label={s.amountMax} values={values} inputMode="numeric" />
          <Input name="cust_code" label={s.custCode} values={values} />
          <div class="actions">
            <button type="submit">{s.submit}</button>
            <a class="button secondary" href="/admin/payments">
              {s.reset}
            </a>
          </div>
        </form>
      </section>

      {results && (
        <section aria-labelledby="results">
          <h2 id="results">{s.results}</h2>
          {props.canCsv && (
            <p class="actions">
              <span>{s.csv}:</span>
              <a class="button secondary" href={`/admin/payments.csv?${queryOf(values)}`} download>
                {s.csvUtf8}
              </a>
              <a
                class="button secondary"
                href={`/admin/payments.csv?${queryOf(values, { encoding: 'sjis' })}`}
                download
              >
                {s.csvSjis}
              </a>
            </p>
          )}
          {results.rows.length === 0 ? (
            <p>{s.none}</p>
          ) : (
            <Scroll label={s.results}>
              <table id="payments">
                <thead>
                  <tr>
                    <th scope="col">{s.trackingId}</th>
                    <th scope="col">{s.orderId}</th>
                    <th scope="col">{s.orderTime}</th>
                    <th scope="col" class="num">
                      {s.amount}
                    </th>
                    <th scope="col" class="num">
                      {s.refunded}
                    </th>
                    <th scope="col">{s.status}</th>
                    <th scope="col">{s.subBrand}</th>
                    <th scope="col">{s.custCode}</th>
                    {operator && <th scope="col">{s.merchant}</th>}
                  </tr>
                </thead>
                <tbody>
                  {results.rows.map((r) => (
                    <tr>
                      <td>
                        <a href={`/admin/payments/${encodeURIComponent(r.trackingId)}`}>{r.trackingId}</a>{' '}
                        <InvestigationFlag page={page} investigations={props.flags.get(r.trackingId)} />
                      </td>
                      <td>{r.orderId}</td>
                      <td>{jstText(r.receivedAt)}</td>
                      <td class="num">{yenText(r.amount)}</td>
                      <td class="num">{yenText(r.refundedAmount)}</td>
                      <td>
                        <span class={`badge ${r.status}`}>{t.statusLabel(r.status)}</span>
                      </td>
                      <td>{r.subBrand ? (subBrandByCode(r.subBrand)?.name ?? r.subBrand) : ''}</td>
                      <td>{r.custCode}</td>
                      {operator && <td>{r.merchantId}</td>}
                    </tr>
                  ))}
                </tbody>
              </table>
            </Scroll>
          )}
          <nav class="pager" aria-label={s.results}>
            {results.paged && <a href={`/admin/payments?${queryOf(values)}`}>{s.first}</a>}
            {results.next && (
              <a href={`/admin/payments?${queryOf(values, { cursor: cursorText(results.next) })}`} rel="next">
                {s.next}
              </a>
            )}
          </nav>
        </section>
      )}
    </Layout>
  );
}
