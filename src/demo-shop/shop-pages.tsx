import type { ComponentChildren, JSX } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { RESULT_FIELDS } from '../channels/link/link-fields';
import type { FormPairs } from '../channels/link/link-form';
import { formatJstDisplay } from '../kernel/jst';
import { formatYen, parseYenDigits, type Yen, yen } from '../kernel/money';
import { CUSTOM_ITEM, MAGIC_AMOUNTS, PRODUCTS } from './checkout';
import type { OrderState, OrderView, PaymentAtGateway, ShopOrder } from './order-book';
import { describeXmlError } from './xml-errors';

/**
 * The demo shop's pages. Everything here must also be representable in Windows-31J, because the
 * page that posts A01-1 is served in Shift_JIS: no `¥` (it becomes a backslash; `yenJa` writes
 * `￥`), no em dashes.
 */
const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#f6f3ec;color:#2f3a2c;font-family:"Hiragino Sans","Noto Sans JP","Yu Gothic",sans-serif;line-height:1.6}
header{background:#3f5a36;color:#f6f3ec;padding:14px 24px;display:flex;flex-wrap:wrap;gap:4px 24px;justify-content:space-between;align-items:baseline}
header a{color:#f6f3ec;text-decoration:none;white-space:nowrap}
header .brand{font-size:1.25rem;font-weight:600;letter-spacing:.04em}
header nav{display:flex;flex-wrap:wrap;gap:4px 18px;font-size:.95rem}
main{max-width:860px;margin:28px auto;padding:0 20px}
main.wide{max-width:1240px}
@media (max-width:480px){header{padding:12px 16px}main{padding:0 12px}.card{padding:16px 14px}}
h1{font-weight:600;font-size:1.5rem;margin:0 0 4px}
.en{display:block;color:#7a8573;font-size:.85rem;font-weight:400}
.card{background:#fff;border:1px solid #e2dccd;border-radius:10px;padding:20px 22px;margin:18px 0}
.products{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:14px}
.product{display:block;border:1px solid #e2dccd;border-radius:8px;padding:14px;cursor:pointer;background:#fbfaf6}
.product:has(input:checked){border-color:#3f5a36;box-shadow:0 0 0 2px #c9d8bf}
.price{font-size:1.2rem;font-weight:600;color:#3f5a36}
.row{margin:12px 0}
input[type=text],input[type=number]{padding:6px 8px;border:1px solid #cfc8b6;border-radius:6px;width:10em}
.buy{background:#1677ff;color:#fff;border:0;border-radius:8px;padding:12px 22px;font-size:1.05rem;cursor:pointer}
.buy:hover{background:#0958d9}
.small{font-size:.85rem;color:#6b7565}
button{font:inherit;font-size:.9rem;background:#fff;border:1px solid #3f5a36;color:#3f5a36;border-radius:6px;padding:4px 12px;cursor:pointer;white-space:nowrap}
button:hover{background:#eef3ea}
button.primary{background:#3f5a36;color:#fff}
button.primary:hover{background:#2f4628}
.refund-actions form.inline{display:inline-flex;gap:6px;align-items:center;margin:4px 8px 4px 0}.refund-actions .refund{margin-bottom:6px}
.refund-amount{width:7em}
.magic td{overflow-wrap:anywhere}
.scroll{overflow-x:auto}
#orders td{word-break:keep-all}#orders td.mono{white-space:nowrap}
.reason{margin:12px 0 0}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #ece6d8;padding:6px 8px;text-align:left;vertical-align:top}
th{color:#5d6757;font-weight:600}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem;overflow-wrap:anywhere}
.ok{color:#2e7d32;font-weight:600}.bad{color:#c62828;font-weight:600}.wait{color:#b26a00;font-weight:600}
.notice{background:#fff8e1;border:1px solid #f0dca0;border-radius:8px;padding:10px 14px}
.error{background:#fdecea;border:1px solid #f5c2bd;border-radius:8px;padding:10px 14px}
`;

export function renderPage(element: JSX.Element): string {
  return `<!DOCTYPE html>${renderToString(element)}`;
}

function Layout(props: { title: string; charset: string; wide?: boolean; children: ComponentChildren }) {
  return (
    <html lang="ja">
      <head>
        <meta charset={props.charset} />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} | Kessai Demo Shop`}</title>
        <style dangerouslySetInnerHTML={{ __html: STYLE }} />
      </head>
      <body>
        <header>
          <a class="brand" href="/">
            Kessai デモショップ
          </a>
          <nav>
            <a href="/">商品 Shop</a>
            <a href="/orders">注文一覧 Orders</a>
          </nav>
        </header>
        <main class={props.wide ? 'wide' : undefined}>{props.children}</main>
      </body>
    </html>
  );
}

function Heading(props: { ja: string; en: string }) {
  return (
    <h1>
      {props.ja}
      <span class="en">{props.en}</span>
    </h1>
  );
}

export function ShopPage(props: { error?: string }) {
  return (
    <Layout title="商品" charset="UTF-8">
      <Heading ja="日本茶と和菓子" en="Japanese tea and sweets, paid with Alipay+" />
      {props.error && (
        <p class="error" role="alert">
          {props.error}
        </p>
      )}
      <form method="post" action="/checkout" class="card">
        <div class="products">
          {PRODUCTS.map((p, i) => (
            <label class="product">
              <input type="radio" name="product" value={p.id} checked={i === 0} /> {p.name}
              <span class="en">{p.englishName}</span>
              <span class="price">{formatYen(p.amount)}</span>
            </label>
          ))}
          <label class="product">
            <input type="radio" name="product" value={CUSTOM_ITEM.id} /> 金額を指定
            <span class="en">Custom amount (yen)</span>
            <input type="number" name="custom_amount" min="1" max="9999999" placeholder="1500" />
          </label>
        </div>
        <div class="row">
          <label>
            <input type="checkbox" name="skip_selection" value="1" /> 支払い方法の選択画面を省略する
            <span class="en">Skip the gateway's selection screen (pay_method=alipay)</span>
          </label>
        </div>
        <button type="submit" class="buy">
          Alipay+ で購入する
        </button>
        <span class="en">Buy with Alipay+</span>

        <div class="card magic">
          <strong>サンドボックスの特別な金額</strong>
          <span class="en">
            The sandbox's magic amounts: buy a trial item for one of these to play a scenario.
          </span>
          <table>
            <tbody>
              {MAGIC_AMOUNTS.map((m) => (
                <tr>
                  <td>
                    <button type="submit" name="magic_amount" value={String(m.amount)}>
                      {formatYen(m.amount)}
                    </button>
                  </td>
                  <td>{m.scenario}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </form>
    </Layout>
  );
}

/**
 * Amounts on the Shift_JIS page: `¥` (U+00A5) has no Windows-31J form (it would become a
 * backslash), so the full-width `￥` (0x818F) stands in for it, as `￥1,500`.
 */
function yenJa(amount: Yen): string {
  return `￥${amount.toLocaleString('en-US')}`;
}

/**
 * The page that carries the A01-1 form to the gateway. Served in the service's encoding with a
 * matching `accept-charset`, so the browser posts the body in that encoding; `_charset_` is filled
 * in by the browser with the encoding it used (merchant-link-type.md, Encoding). It submits itself;
 * the button serves browsers without script.
 */
export function CheckoutRedirectPage(props: {
  action: string;
  pairs: FormPairs;
  charset: string;
  order: ShopOrder;
}) {
  return (
    <Layout title="お支払いへ" charset={props.charset}>
      <Heading ja="Alipay+ のお支払いへ移動します" en="Taking you to Alipay+ ..." />
      <form id="checkout" method="post" action={props.action} accept-charset={props.charset} class="card">
        <p>
          {props.order.itemName} {yenJa(props.order.amount)}
          <span class="en mono">{props.order.orderId}</span>
        </p>
        {props.pairs.map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <input type="hidden" name="_charset_" value="" />
        <button type="submit" class="buy">
          お支払いへ進む
        </button>
        <span class="en">Continue to payment</span>
      </form>
      <script dangerouslySetInnerHTML={{ __html: "document.getElementById('checkout').submit();" }} />
    </Layout>
  );
}

const STATE_LABELS: Record<OrderState, { ja: string; en: string; css: string }> = {
  awaiting: { ja: '結果待ち', en: 'awaiting result', css: 'wait' },
  paid: { ja: '支払い済み', en: 'paid', css: 'ok' },
  failed: { ja: '支払い失敗', en: 'failed', css: 'bad' },
  'not-paid': { ja: '未払い (キャンセル・期限切れ)', en: 'not paid (cancelled or expired)', css: 'bad' },
};

function StateLabel(props: { state: OrderState }) {
  const label = STATE_LABELS[props.state];
  return (
    <span class={label.css}>
      {label.ja} <span class="small">{label.en}</span>
    </span>
  );
}

export type ResultPath = 'success' | 'cancel' | 'error';

const RESULT_HEADINGS: Record<ResultPath, { ja: string; en: string }> = {
  success: { ja: 'ご購入ありがとうございます', en: 'Thank you for your purchase' },
  cancel: { ja: 'お支払いはキャンセルされました', en: 'The payment was cancelled' },
  error: { ja: 'お支払いを完了できませんでした', en: 'The payment could not be completed' },
};

/**
 * A03-1 landing page. It shows what the browser brought, but the order's state comes from the
 * A02-1 notification: a browser result is only a display (merchant-link-type.md, A03-1).
 */
export function ResultPage(props: {
  path: ResultPath;
  fields: Record<string, string>;
  hashValid: boolean;
  view: OrderView;
}) {
  const heading = RESULT_HEADINGS[props.path];
  const latest = props.view.notifications.at(-1)?.fields;
  return (
    <Layout title={heading.ja} charset="UTF-8">
      <Heading ja={heading.ja} en={heading.en} />
      {props.path !== 'success' && <FailureReason code={props.fields.res_err_code ?? ''} />}
      <div class="card">
        <table>
          <tbody>
            <tr>
              <th>注文番号 Order</th>
              <td class="mono">{props.view.orderId || '(none)'}</td>
            </tr>
            <tr>
              <th>商品 Item</th>
              <td>{props.view.order?.itemName ?? props.fields.item_name ?? ''}</td>
            </tr>
            <tr>
              <th>金額 Amount</th>
              <td>{amountText(props.fields.amount ?? '')}</td>
            </tr>
            <tr>
              <th>結果の署名 Result hash</th>
              <td id="hash-status" class={props.hashValid ? 'ok' : 'bad'}>
                {props.hashValid ? 'verified' : 'NOT verified: do not trust this result'}
              </td>
            </tr>
            <tr>
              <th>結果通知 (A02-1) Notification</th>
              <td>
                <span id="notification-status" class={latest ? 'ok' : 'wait'}>
                  {latest ? 'received' : 'not received yet'}
                </span>
                {latest && (
                  <span>
                    {' '}
                    res_result <code id="notification-result">{latest.res_result ?? ''}</code>
                  </span>
                )}
              </td>
            </tr>
            <tr>
              <th>注文の状態 Order state</th>
              <td>
                <StateLabel state={props.view.state} />
              </td>
            </tr>
          </tbody>
        </table>
        <p class="small">
          注文の状態は結果通知 (A02-1) だけで決まります。このページの結果は表示用です。
          <span class="en">
            The order's state comes from the server-to-server notification only; this page merely shows what
            the browser brought back. <a href="/orders">See all orders</a>.
          </span>
        </p>
      </div>
      <details class="card">
        <summary>受け取った項目 Fields received (A03-1)</summary>
        <ResultFieldsTable fields={props.fields} />
      </details>
    </Layout>
  );
}

/** Digits as `¥1,500`, as everywhere else; anything else as it came. */
function amountText(digits: string): string {
  const amount = parseYenDigits(digits);
  return amount === null ? digits : formatYen(amount);
}

/** What happened, in words a shopper understands, from the result's `res_err_code` (A02-1/A03-1). */
const FAILURE_REASONS: Record<string, { ja: string; en: string }> = {
  '6101': {
    ja: 'ウォレットがお支払いを承認しませんでした (残高不足など)。代金は引き落とされていません。別のウォレットでもう一度お試しください。',
    en: 'Your wallet did not approve the payment (for example, not enough balance). You have not been charged; try again or use another wallet.',
  },
  '6102': {
    ja: 'お支払いをキャンセルしました。代金は引き落とされていません。',
    en: 'You cancelled the payment. You have not been charged.',
  },
  '6103': {
    ja: 'お支払いの期限が過ぎました。代金は引き落とされていません。もう一度ご購入ください。',
    en: 'The time to pay ran out. You have not been charged; please order again.',
  },
};

function FailureReason(props: { code: string }) {
  const reason = FAILURE_REASONS[props.code] ?? {
    ja: 'お支払いは完了していません。代金は引き落とされていません。',
    en: 'The payment was not completed. You have not been charged.',
  };
  return (
    <p class="notice reason" id="failure-reason">
      {reason.ja}
      <span class="en">{reason.en}</span>
    </p>
  );
}

function ResultFieldsTable(props: { fields: Record<string, string> }) {
  return (
    <table>
      <tbody>
        {[...RESULT_FIELDS, 'sps_hashcode'].map((name) => (
          <tr>
            <th class="mono">{name}</th>
            <td class="mono">{props.fields[name] ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const REFUND_RESULT_LABELS: Record<string, string> = {
  OK: '返金済 Refunded',
  AC: '受付済・結果待ち Accepted, pending at Alipay+',
  NG: '拒否 Refused',
};

const GATEWAY_REFUND_LABELS: Record<string, { text: string; css: string }> = {
  SUCCEEDED: { text: '返金済 Refunded', css: 'ok' },
  PROCESSING: { text: '処理中 Pending at Alipay+', css: 'wait' },
  FAILED: { text: '失敗 Refused by Alipay+', css: 'bad' },
};

/** `payment_status` of the inquiry (merchant-xml-api.md): refunded (4) and partially refunded (5). */
const FULLY_REFUNDED = '4';
const PARTLY_REFUNDED = '5';

/** What the orders page shows as an order's state: the notification's, refined by the inquiry. */
function OrderStateLabel(props: { view: OrderView; atGateway: PaymentAtGateway | undefined }) {
  const status = props.atGateway?.paymentStatus;
  if (props.view.state === 'paid' && (status === FULLY_REFUNDED || status === PARTLY_REFUNDED)) {
    const full = status === FULLY_REFUNDED;
    return (
      <span class={full ? 'bad' : 'wait'} data-state={full ? 'refunded' : 'partially-refunded'}>
        {full ? '返金済み' : '一部返金'}{' '}
        <span class="small">
          {full ? 'refunded' : `partially refunded (${formatYen(yen(props.atGateway?.refundedAmount ?? 0))})`}
        </span>
      </span>
    );
  }
  return <StateLabel state={props.view.state} />;
}

/** The refunds at the gateway (any channel), the shop's unfinished or refused requests, and the forms. */
function RefundCell(props: { view: OrderView; atGateway: PaymentAtGateway | undefined; formToken: string }) {
  const { view, atGateway } = props;
  const action = `/orders/${encodeURIComponent(view.orderId)}/refund`;
  // With the gateway's list at hand, the shop's own answers add only what it lacks: a refusal
  // (no refund was made) and a request still to be confirmed.
  const attempts = view.refunds
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => atGateway === undefined || r.result !== 'OK');
  const canRefund =
    view.state === 'paid' &&
    view.trackingId !== undefined &&
    (atGateway ? atGateway.paymentStatus !== FULLY_REFUNDED : !fullyRefunded(view));
  return (
    <td class="refund-actions small">
      {atGateway?.refunds.map((r) => {
        const label = GATEWAY_REFUND_LABELS[r.status] ?? { text: r.status, css: '' };
        return (
          <div class="refund" data-refund-status={r.status}>
            {formatYen(yen(r.amount))} · <span class={label.css}>{label.text}</span>
          </div>
        );
      })}
      {attempts.map(({ r, i }) => (
        <div class="refund" data-refund-result={r.result ?? 'none'}>
          {r.amount === '' ? '全額 Full' : amountText(r.amount)} ·{' '}
          {r.result ? REFUND_RESULT_LABELS[r.result] : r.problem}
          {r.result === 'NG' && r.errCode && <RefusalReason code={r.errCode} />}
          {(r.result === 'AC' || r.result === null) && (
            <form method="post" action={action} class="inline">
              <input type="hidden" name="token" value={props.formToken} />
              <input type="hidden" name="repeat" value={String(i)} />
              <button type="submit">再確認 Check again</button>
            </form>
          )}
        </div>
      ))}
      {canRefund && (
        <>
          <form method="post" action={action} class="inline">
            <input type="hidden" name="token" value={props.formToken} />
            <button type="submit" class="refund-full primary">
              全額返金 Refund all
            </button>
          </form>
          <form method="post" action={action} class="inline">
            <input type="hidden" name="token" value={props.formToken} />
            <label class="en" for={`amount-${view.orderId}`}>
              Amount
            </label>
            <input
              type="number"
              id={`amount-${view.orderId}`}
              name="amount"
              min="1"
              max="9999999"
              required
              class="refund-amount"
            />
            <button type="submit" class="refund-partial">
              一部返金 Partial refund
            </button>
          </form>
        </>
      )}
    </td>
  );
}

/** Nothing remains once a refund succeeded with a remaining amount of 0 (when no inquiry answered). */
function fullyRefunded(view: OrderView): boolean {
  return view.refunds.some((r) => r.result === 'OK' && r.remaining === '0');
}

function RefusalReason(props: { code: string }) {
  const reason = describeXmlError(props.code);
  return (
    <span class="refusal-reason">
      {' '}
      <span class="bad">{reason.ja}</span> <span class="en">{reason.en}</span> <code>{props.code}</code>
    </span>
  );
}

export function OrdersPage(props: {
  views: readonly OrderView[];
  atGateway: ReadonlyMap<string, PaymentAtGateway>;
  refundsEnabled: boolean;
  formToken: string;
}) {
  return (
    <Layout title="注文一覧" charset="UTF-8" wide>
      <Heading ja="注文一覧" en="Orders" />
      <p class="notice">
        注文はこのデモショップのメモリにだけ保存され、再起動すると消えます。
        <span class="en">
          A demo: orders live only in this shop process's memory and are forgotten on restart. The state is
          what the shop learned from the gateway's result notifications (A02-1) and, for refunds — from this
          page or the console — from an inquiry (MG01-00101-510) each time this page is shown.
        </span>
      </p>
      {!props.refundsEnabled && (
        <p class="error" id="no-api-password">
          XML API password not configured: the demo service's password was changed elsewhere. Start Kessai
          with KESSAI_DEMO_API_PASSWORD set to the current password (docs/configuration.md).
        </p>
      )}
      <div class="card">
        {props.views.length === 0 ? (
          <p>
            まだ注文はありません。<span class="en">No orders yet.</span>
          </p>
        ) : (
          <div class="scroll">
            <table id="orders">
              <thead>
                <tr>
                  <th>注文番号 Order</th>
                  <th>商品 Item</th>
                  <th>金額 Amount</th>
                  <th>注文日時 Placed (JST)</th>
                  <th>状態 State</th>
                  <th>取引ID Tracking id</th>
                  <th>通知 Notifications</th>
                  <th>返金 Refund</th>
                </tr>
              </thead>
              <tbody>
                {props.views.map((v) => (
                  <tr data-order-id={v.orderId}>
                    <td class="mono">{v.orderId}</td>
                    <td>{v.order?.itemName ?? v.notifications[0]?.fields.item_name ?? ''}</td>
                    <td>
                      {v.order
                        ? formatYen(v.order.amount)
                        : amountText(v.notifications[0]?.fields.amount ?? '')}
                    </td>
                    <td>{v.order ? formatJstDisplay(v.order.placedAt) : '(before restart)'}</td>
                    <td>
                      <OrderStateLabel view={v} atGateway={props.atGateway.get(v.orderId)} />
                    </td>
                    <td class="mono">{v.trackingId ?? ''}</td>
                    <td>{v.notifications.length}</td>
                    {props.refundsEnabled ? (
                      <RefundCell
                        view={v}
                        atGateway={props.atGateway.get(v.orderId)}
                        formToken={props.formToken}
                      />
                    ) : (
                      <td class="refund-actions small">-</td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </Layout>
  );
}

export function MessagePage(props: { ja: string; en: string; detail?: string }) {
  return (
    <Layout title={props.ja} charset="UTF-8">
      <Heading ja={props.ja} en={props.en} />
      {props.detail && <p class="error">{props.detail}</p>}
      <p>
        <a href="/">トップへ戻る</a> <span class="en">Back to the shop</span>
      </p>
    </Layout>
  );
}
