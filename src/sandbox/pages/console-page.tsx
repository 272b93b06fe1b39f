import { formatJstDisplay } from '../../kernel/jst';
import { formatYen, yen } from '../../kernel/money';
import type { Fault } from '../faults';
import type {
  ApiCall,
  Notification,
  NotificationAttempt,
  Order,
  Registration,
  RegistrationPsp,
} from '../store';
import { Layout } from './layout';

export interface ConsoleData {
  orders: Order[];
  registrations: Array<Registration & { psps: RegistrationPsp[] }>;
  notifications: Notification[];
  attempts: NotificationAttempt[];
  calls: ApiCall[];
  faults: readonly Fault[];
  clockOffsetMs: number | null;
  now: Date;
}

function at(ms: number | null): string {
  return ms === null ? '—' : formatJstDisplay(new Date(ms));
}

function orderState(order: Order): string {
  if (order.status === 'CLOSED')
    return `CLOSED (${order.close_reason === 'CANCELLED' ? 'cancelled' : 'expired'}${order.reversed ? ', reversed' : ''})`;
  if (order.status === 'FAIL') return `FAIL ${order.result_code ?? ''}`;
  return order.status;
}

function Orders({ orders }: { orders: Order[] }) {
  return (
    <section id="orders">
      <h2>Orders</h2>
      <table>
        <thead>
          <tr>
            <th>created (JST)</th>
            <th>paymentId / paymentRequestId</th>
            <th>merchant</th>
            <th>amount</th>
            <th>state</th>
            <th>wallet · user</th>
            <th>expires</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {orders.map((o) => (
            <tr data-payment-id={o.payment_id}>
              <td>{at(o.created_at)}</td>
              <td>
                <a href={`/sandbox/v1/orders/${o.payment_id}`}>{o.payment_id}</a>
                <br />
                <span class="muted">{o.payment_request_id}</span>
              </td>
              <td>
                {o.merchant_name}
                <br />
                <span class="muted">{o.reference_merchant_id}</span>
              </td>
              <td>{formatYen(yen(o.amount))}</td>
              <td class="state">{orderState(o)}</td>
              <td>{o.wallet ? `${o.wallet} · ${o.user_name ?? ''}` : o.payment_method_type}</td>
              <td>{at(o.expires_at)}</td>
              <td>
                {o.status === 'PROCESSING' && (
                  <form method="post" action={`/sandbox/v1/orders/${o.payment_id}/expire`}>
                    <button type="submit">Expire now</button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Notifications({
  notifications,
  attempts,
}: {
  notifications: Notification[];
  attempts: NotificationAttempt[];
}) {
  return (
    <section id="notifications">
      <h2>Notifications</h2>
      <table>
        <thead>
          <tr>
            <th>#</th>
            <th>paymentId</th>
            <th>to</th>
            <th>state</th>
            <th>attempts (time · HTTP · ACQP answer)</th>
            <th>next</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {notifications.map((n) => (
            <tr data-notification-id={n.id}>
              <td>{n.id}</td>
              <td>{n.payment_id ?? n.registration_request_id}</td>
              <td>
                <span class="muted">{n.url}</span>
              </td>
              <td>
                {n.status}
                {n.note && <div class="muted">{n.note}</div>}
              </td>
              <td>
                {attempts
                  .filter((a) => a.notification_id === n.id)
                  .map((a) => (
                    <div class={a.accepted ? 'ok' : 'error'}>
                      {at(a.at)} · {a.http_status ?? '—'} ·{' '}
                      {a.accepted ? 'accepted' : (a.error ?? 'not accepted')}
                      {a.answer && <pre>{a.answer}</pre>}
                    </div>
                  ))}
              </td>
              <td>{at(n.next_attempt_at)}</td>
              <td>
                <form method="post" action={`/sandbox/v1/notifications/${n.id}/resend`}>
                  <button type="submit">Re-send</button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Merchant registrations (governance.md §1): each wallet's review, decided here by hand. */
function Registrations({ registrations }: { registrations: ConsoleData['registrations'] }) {
  return (
    <section id="registrations">
      <h2>Merchant registrations</h2>
      <table>
        <thead>
          <tr>
            <th>received (JST)</th>
            <th>registrationRequestId</th>
            <th>merchant</th>
            <th>automatic review</th>
            <th>wallets</th>
          </tr>
        </thead>
        <tbody>
          {registrations.map((r) => (
            <tr data-registration-id={r.registration_request_id}>
              <td>{at(r.created_at)}</td>
              <td>{r.registration_request_id}</td>
              <td>
                {r.display_name}
                <br />
                <span class="muted">{r.reference_merchant_id}</span>
              </td>
              <td>{r.review_due_at === null ? 'done' : at(r.review_due_at)}</td>
              <td>
                {r.psps.map((p) => (
                  <div class="psp" data-psp={p.psp_name}>
                    <strong>{p.psp_name}</strong> {p.status}
                    {p.reject_reason && <span class="muted"> — {p.reject_reason}</span>}
                    {p.status === 'PENDING' && (
                      <form
                        method="post"
                        action={`/sandbox/v1/registrations/${encodeURIComponent(r.registration_request_id)}/psps/${p.psp_name}`}
                      >
                        <input type="text" name="reason" placeholder="reason (to reject)" maxlength={256} />
                        <button type="submit" name="decision" value="APPROVED">
                          Approve
                        </button>
                        <button type="submit" name="decision" value="REJECTED">
                          Reject
                        </button>
                      </form>
                    )}
                  </div>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Calls({ calls }: { calls: ApiCall[] }) {
  return (
    <section id="api-calls">
      <h2>API calls received</h2>
      <table>
        <thead>
          <tr>
            <th>time (JST)</th>
            <th>API</th>
            <th>client · request id</th>
            <th>HTTP</th>
            <th>result</th>
            <th>fault</th>
            <th>ms</th>
            <th>bodies</th>
          </tr>
        </thead>
        <tbody>
          {calls.map((c) => (
            <tr>
              <td>{at(c.at)}</td>
              <td>{c.api}</td>
              <td>
                {c.client_id ?? '—'}
                <br />
                <span class="muted">{c.request_id ?? ''}</span>
              </td>
              <td>{c.http_status || 'no answer'}</td>
              <td>{c.result_status ? `${c.result_status} ${c.result_code ?? ''}` : '—'}</td>
              <td>{c.fault ?? ''}</td>
              <td>{c.duration_ms}</td>
              <td>
                <details>
                  <summary>show</summary>
                  <pre>{c.request_body}</pre>
                  <pre>{c.response_body ?? ''}</pre>
                </details>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The sandbox console (sandbox.md, Pages): orders, notifications with the ACQP's answers, API calls. */
export function ConsolePage({ data }: { data: ConsoleData }) {
  return (
    <Layout title="Alipay+ sandbox console" lang="en" wide>
      <h1>Sandbox console</h1>
      <section>
        Sandbox time: {formatJstDisplay(data.now)} JST
        {data.clockOffsetMs ? ` (moved by ${data.clockOffsetMs} ms)` : ''}
        {data.faults.length > 0 && (
          <div id="faults">
            Active faults:{' '}
            {data.faults.map((f) => `${f.api}/${f.mode} ×${f.remaining} p=${f.probability}`).join(', ')}
          </div>
        )}
      </section>
      <Orders orders={data.orders} />
      <Registrations registrations={data.registrations} />
      <Notifications notifications={data.notifications} attempts={data.attempts} />
      <Calls calls={data.calls} />
    </Layout>
  );
}
