import type { ComponentChildren, VNode } from 'preact';
import { DETAIL_FIELDS } from '../../channels/link/link-fields';
import type { PaymentRow } from '../../db/database';
import { jstDate } from '../../kernel/jst';
import { subBrandByCode } from '../../merchants/sub-brands';
import { remainingAmount } from '../../refunds/refund-rules';
import type { BillingDetails } from '../billing.repository';
import { jstText, yenText } from '../format';
import type { ConsoleRefundability } from '../refund-port';
import { caseTexts, InvestigationFlag } from './case-pages';
import { CsrfField, Layout, Notice, type PageContext, Scroll } from './layout';

export type BillingTab = 'basic' | 'details';

export interface BillingPageProps {
  page: PageContext;
  payment: PaymentRow;
  details: BillingDetails;
  tab: BillingTab;
  /** Null when the refund domain is not available. */
  refundability: ConsoleRefundability | null;
  canRefund: boolean;
  canResend: boolean;
  hasNotification: boolean;
  /** A fresh one-time nonce for the refund forms. */
  refundNonce: string;
  notices: Array<{ kind: 'ok' | 'warn' | 'error'; text: string }>;
  /** The partial amount typed before a refusal, shown again. */
  partialAmount: string;
  /** The fraud investigations concerning this payment (governance.md, 3). */
  investigations: ReadonlyArray<{ investigationId: string; status: string }>;
  /** The operator's reason when the merchant's refunds are stopped (governance.md, 2). */
  refundStop: string | null;
}

function requestFields(payment: PaymentRow): Record<string, string> {
  try {
    const value: unknown = JSON.parse(payment.request_fields);
    return typeof value === 'object' && value !== null ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function detailRows(payment: PaymentRow): Array<Record<string, string>> {
  try {
    const value: unknown = JSON.parse(payment.details);
    return Array.isArray(value) ? (value as Array<Record<string, string>>) : [];
  } catch {
    return [];
  }
}

/** A message body for people: JSON indented, anything else as stored. */
function pretty(body: string | null): string {
  if (body === null) return '';
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function Field(props: { label: string; children: ComponentChildren }): VNode {
  return (
    <>
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </>
  );
}

function RefundActions(props: BillingPageProps): VNode | null {
  const { page, payment, refundability } = props;
  const b = page.t.billing;
  if (!refundability) return <p>{b.refundsUnavailable}</p>;
  // The stop and its reason are shown above, next to the fraud flag, to every role.
  if (props.refundStop !== null) return null;
  const remaining = remainingAmount(payment);
  if (!refundability.refundable) {
    const reason =
      refundability.reason === 'PERIOD_ENDED'
        ? b.periodEnded(jstDate(refundability.deadline))
        : refundability.reason === 'NOTHING_LEFT'
          ? b.nothingLeft
          : b.notRefundableState(page.t.statusLabel(payment.status));
    return (
      <p id="refund-reason" class="notice warn">
        {reason}
      </p>
    );
  }
  const action = `/admin/payments/${encodeURIComponent(payment.tracking_id)}/refunds`;
  return (
    <>
      <p id="refund-deadline">{b.refundableUntil(jstText(refundability.deadline))}</p>
      {props.canRefund && (
        <div class="actions">
          <form method="post" action={action} data-confirm={b.refundConfirm(yenText(remaining))}>
            <CsrfField page={page} />
            <input type="hidden" name="kind" value="full" />
            <input type="hidden" name="nonce" value={props.refundNonce} />
            <button type="submit" id="refund-full" class="danger">
              {b.refundAll(yenText(remaining))}
            </button>
          </form>
          <form
            method="post"
            action={action}
            data-confirm={b.partialConfirm}
            data-amount-invalid={b.refuseAmount}
            class="actions"
          >
            <CsrfField page={page} />
            <input type="hidden" name="kind" value="partial" />
            <input type="hidden" name="nonce" value={props.refundNonce} />
            <label for="refund-amount">{b.partialAmount}</label>
            <input
              id="refund-amount"
              name="amount"
              type="text"
              inputMode="numeric"
              required
              maxLength={12}
              value={props.partialAmount}
              aria-describedby="refund-deadline"
            />
            <button type="submit" id="refund-partial">
              {b.partialRefund}
            </button>
          </form>
        </div>
      )}
    </>
  );
}

function Actions(props: BillingPageProps): VNode {
  const { page, payment } = props;
  const b = page.t.billing;
  return (
    <section class="card" aria-labelledby="actions">
      <h2 id="actions">{b.actions}</h2>
      <RefundActions {...props} />
      {props.canResend &&
        (props.hasNotification ? (
          <form
            method="post"
            action={`/admin/payments/${encodeURIComponent(payment.tracking_id)}/notifications/resend`}
            data-confirm={b.resendConfirm}
          >
            <CsrfField page={page} />
            <button type="submit" id="resend" class="secondary">
              {b.resend}
            </button>
          </form>
        ) : (
          <p class="note">{b.noNotification}</p>
        ))}
    </section>
  );
}

function BasicTab(props: BillingPageProps): VNode {
  const { page, payment, details, refundability } = props;
  const b = page.t.billing;
  const fields = requestFields(payment);
  const rows = detailRows(payment);
  const remaining = remainingAmount(payment);
  return (
    <section class="card" aria-label={b.basicTab}>
      <dl class="fields">
        <Field label={b.merchant}>{`${details.merchantName} (${payment.merchant_id})`}</Field>
        <Field label={b.service}>{`${details.serviceName} (${payment.service_id})`}</Field>
        <Field label={b.trackingId}>{payment.tracking_id}</Field>
        <Field label={b.orderId}>{payment.order_id}</Field>
        <Field label={b.receivedAt}>{jstText(payment.received_at)}</Field>
        <Field label={b.itemId}>{payment.item_id}</Field>
        <Field label={b.itemName}>{payment.item_name}</Field>
        <Field label={b.amount}>{yenText(payment.amount)}</Field>
        <Field label={b.tax}>
          {/^\d+$/.test(fields.tax ?? '') ? yenText(Number(fields.tax)) : (fields.tax ?? '')}
        </Field>
        <Field label={b.custCode}>{payment.cust_code}</Field>
        <Field label={b.freeFields}>
          {['free1', 'free2', 'free3', 'free_csv']
            .filter((f) => (f === 'free_csv' ? payment.free_csv : fields[f]))
            .map((f) => (
              <div>{`${f}: ${f === 'free_csv' ? payment.free_csv : fields[f]}`}</div>
            ))}
        </Field>
        <Field label={b.status}>
          <span class={`badge ${payment.status}`}>{page.t.statusLabel(payment.status)}</span>
        </Field>
        <Field label={b.subBrand}>
          {payment.wallet ? (subBrandByCode(payment.wallet)?.name ?? payment.wallet) : ''}
        </Field>
        <Field label={b.alipayPaymentId}>{payment.alipay_payment_id ?? ''}</Field>
        <Field label={b.paidAt}>{jstText(payment.paid_at)}</Field>
        <Field label={b.quote}>
          {payment.quote_price ? `${payment.quote_currency_pair ?? ''} ${payment.quote_price}` : ''}
        </Field>
        <Field label={b.refunded}>{yenText(payment.refunded_amount)}</Field>
        {payment.refund_reserved_amount > 0 && (
          <Field label={b.reserved}>{yenText(payment.refund_reserved_amount)}</Field>
        )}
        <Field label={b.remaining}>{yenText(remaining)}</Field>
        <Field label={b.refundDeadline}>{refundability ? jstText(refundability.deadline) : ''}</Field>
      </dl>
      <h3>{b.details}</h3>
      {rows.length === 0 ? (
        <p class="note">{b.detailsNone}</p>
      ) : (
        <Scroll label={b.details}>
          <table>
            <thead>
              <tr>
                {DETAIL_FIELDS.map((f) => (
                  <th scope="col" title={f}>
                    {b.detailColumns[f]}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr>
                  {DETAIL_FIELDS.map((f) => (
                    <td>{r[f] ?? ''}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
    </section>
  );
}

function DetailsTab(props: BillingPageProps): VNode {
  const { page, details } = props;
  const { t } = page;
  const b = t.billing;
  return (
    <section aria-label={b.detailsTab}>
      <h2>{b.history}</h2>
      <Scroll label={b.history}>
        <table id="history">
          <thead>
            <tr>
              <th scope="col">{b.at}</th>
              <th scope="col">{b.from}</th>
              <th scope="col">{b.to}</th>
              <th scope="col" class="wrap">
                {b.cause}
              </th>
              <th scope="col">{b.resultCode}</th>
            </tr>
          </thead>
          <tbody>
            {details.events.map((e) => (
              <tr>
                <td>{jstText(e.at)}</td>
                <td>{t.statusLabel(e.fromStatus)}</td>
                <td>{t.statusLabel(e.toStatus)}</td>
                <td class="wrap">{e.cause}</td>
                <td>{e.resultCode ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>

      <h2>{b.refunds}</h2>
      {details.refunds.length === 0 ? (
        <p>{b.refundsNone}</p>
      ) : (
        <Scroll label={b.refunds}>
          <table id="refunds">
            <thead>
              <tr>
                <th scope="col">{b.at}</th>
                <th scope="col">{b.refundId}</th>
                <th scope="col" class="num">
                  {b.amount}
                </th>
                <th scope="col">{b.refundState}</th>
                <th scope="col">{b.resultCode}</th>
                <th scope="col">{b.requestedBy}</th>
                <th scope="col">{b.channel}</th>
              </tr>
            </thead>
            <tbody>
              {details.refunds.map((r) => (
                <tr>
                  <td>{jstText(Number(r.created_at))}</td>
                  <td>{r.refund_id}</td>
                  <td class="num">{yenText(r.amount)}</td>
                  <td>
                    <span class={`badge ${r.status}`}>{b.refundStates[r.status] ?? r.status}</span>
                  </td>
                  <td>{r.result_code ?? ''}</td>
                  <td>{r.requested_by}</td>
                  <td>{r.channel}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}

      <h2>{b.notifications}</h2>
      {details.notifications.length === 0 ? (
        <p>{b.notificationsNone}</p>
      ) : (
        details.notifications.map((n) => (
          <div class="card">
            <h3>
              {b.notification(
                String(n.id),
                n.errCode ? `${n.result} ${n.errCode}` : n.result,
                b.notificationStates[n.status] ?? n.status,
              )}
            </h3>
            {n.attemptsMade.length === 0 ? (
              <p class="note">{b.noAttempts}</p>
            ) : (
              <Scroll label={b.notification(String(n.id), n.result, n.status)}>
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{b.at}</th>
                      <th scope="col">{b.httpStatus}</th>
                      <th scope="col" class="wrap">
                        {b.answer}
                      </th>
                      <th scope="col">{b.attemptError}</th>
                      <th scope="col" class="num">
                        {b.duration}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {n.attemptsMade.map((a) => (
                      <tr>
                        <td>{jstText(a.at)}</td>
                        <td>{a.httpStatus ?? ''}</td>
                        <td class="wrap">{a.answer ?? ''}</td>
                        <td>{a.error ?? ''}</td>
                        <td class="num">{`${a.durationMs} ms`}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </Scroll>
            )}
          </div>
        ))
      )}

      <h2>{b.messages}</h2>
      <p class="note">{b.messagesNote}</p>
      {details.messages.length === 0 ? (
        <p>{b.messagesNone}</p>
      ) : (
        details.messages.map((m) => (
          <details class="card">
            <summary>{`${jstText(m.at)} ${m.api} — ${b.outcome}: ${m.outcome} (HTTP ${m.responseStatus ?? '—'}, ${m.durationMs} ms)`}</summary>
            <h3>{b.request}</h3>
            <pre>{pretty(m.requestBody)}</pre>
            <h3>{b.response}</h3>
            <pre>{pretty(m.responseBody)}</pre>
          </details>
        ))
      )}
    </section>
  );
}

/**
 * What needs a person before anything else: money Alipay+ reported for a failed payment, and a
 * merchant that refused the result (`NG,`) of a captured payment — most often because the amount
 * differs from its order: the Link hash lets a shopper move digits between fields.
 */
function Alerts(props: BillingPageProps): VNode {
  const { page, payment, details } = props;
  const b = page.t.billing;
  const late = details.latePayment;
  const refused = details.notifications.findLast((n) => n.result === 'OK' && n.status === 'REFUSED');
  const answer = refused?.attemptsMade.at(-1)?.answer ?? '';
  return (
    <>
      {late && (
        <div id="late-payment" class="notice error" role="alert">
          {b.latePayment(
            late.amount_currency === 'JPY' && /^\d+$/.test(late.amount_value ?? '')
              ? yenText(Number(late.amount_value))
              : `${late.amount_currency ?? ''} ${late.amount_value ?? ''}`.trim(),
            jstText(late.reported_at),
            b.latePaymentStates[late.status] ?? late.status,
            late.note ?? '',
          )}
        </div>
      )}
      {refused && (
        <div id="amount-check" class="notice warn" role="status">
          {b.amountCheck(yenText(payment.amount), answer)}
        </div>
      )}
    </>
  );
}

export function BillingPage(props: BillingPageProps): VNode {
  const { page, payment, tab } = props;
  const b = page.t.billing;
  const base = `/admin/payments/${encodeURIComponent(payment.tracking_id)}`;
  return (
    <Layout page={page} title={`${b.title} ${payment.tracking_id}`} current="payments">
      {props.notices.map((n) => (
        <Notice kind={n.kind}>{n.text}</Notice>
      ))}
      {props.investigations.length > 0 && (
        <div id="fraud-flag" class="notice warn" role="status">
          <InvestigationFlag page={page} investigations={props.investigations} />
          {props.refundStop === null && <> {caseTexts(page).fraud.refundsStillPossible}</>}
        </div>
      )}
      {props.refundStop !== null && (
        <p id="refund-stop" class="notice error" role="status">
          {caseTexts(page).refundStop.refused(props.refundStop)}
        </p>
      )}
      <Alerts {...props} />
      {/* A viewer may act on nothing: no empty card. */}
      {(props.canRefund || props.canResend) && <Actions {...props} />}
      <ul class="tabs" aria-label={b.tabs}>
        <li>
          <a href={`${base}?tab=basic`} aria-current={tab === 'basic' ? 'page' : undefined}>
            {b.basicTab}
          </a>
        </li>
        <li>
          <a href={`${base}?tab=details`} aria-current={tab === 'details' ? 'page' : undefined}>
            {b.detailsTab}
          </a>
        </li>
      </ul>
      {tab === 'basic' ? <BasicTab {...props} /> : <DetailsTab {...props} />}
    </Layout>
  );
}
