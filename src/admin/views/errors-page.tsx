import type { VNode } from 'preact';
import { LINK_ERROR_CODES } from '../../channels/link/purchase-request';
import type { PaymentErrorRecord } from '../../merchants/payment-error.repository';
import { jstText } from '../format';
import { Layout, type PageContext, Scroll } from './layout';
import { MerchantPicker } from './merchant-picker';

export interface ErrorsPageProps {
  page: PageContext;
  /** Operators choose the merchant; null for a merchant's people. */
  merchants: string[] | null;
  merchantId: string;
  rows: PaymentErrorRecord[];
  /** The query of the next (older) page, or null. */
  olderHref: string | null;
}

function describe(code: string, lang: 'ja' | 'en'): string {
  const known = (LINK_ERROR_CODES as Record<string, { ja: string; en: string } | undefined>)[code];
  return known ? known[lang] : '';
}

export function ErrorsPage(props: ErrorsPageProps): VNode {
  const { page } = props;
  const e = page.t.paymentErrors;
  return (
    <Layout page={page} title={e.title} current="errors">
      <p>{e.intro}</p>
      {props.merchants && (
        <MerchantPicker
          page={page}
          action="/admin/errors"
          merchants={props.merchants}
          selected={props.merchantId}
        />
      )}
      {props.rows.length === 0 ? (
        <p>{e.none}</p>
      ) : (
        <Scroll label={e.title}>
          <table id="payment-errors">
            <thead>
              <tr>
                <th scope="col">{e.at}</th>
                <th scope="col">{e.code}</th>
                <th scope="col" class="wrap">
                  {e.description}
                </th>
                <th scope="col">{e.field}</th>
                <th scope="col">{e.orderId}</th>
                <th scope="col">{e.service}</th>
                <th scope="col">{e.authenticated}</th>
                <th scope="col">{e.clientIp}</th>
              </tr>
            </thead>
            <tbody>
              {props.rows.map((r) => (
                <tr>
                  <td>{jstText(r.at)}</td>
                  <td>{r.code}</td>
                  <td class="wrap">{describe(r.code, page.lang)}</td>
                  <td>{r.field ?? ''}</td>
                  <td>{r.orderId}</td>
                  <td>{r.serviceId}</td>
                  <td>{r.authenticated ? e.verified : e.notVerified}</td>
                  <td>{r.clientIp}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      {props.olderHref && (
        <nav class="pager" aria-label={e.title}>
          <a href={props.olderHref} rel="next">
            {page.t.search.next}
          </a>
        </nav>
      )}
    </Layout>
  );
}
