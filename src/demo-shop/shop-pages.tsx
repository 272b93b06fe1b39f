import type { ComponentChildren, JSX } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { RESULT_FIELDS } from '../channels/link/link-fields';
import type { FormPairs } from '../channels/link/link-form';
import { formatJstDisplay } from '../kernel/jst';
import { formatYen, type Yen } from '../kernel/money';
import { CUSTOM_ITEM, MAGIC_AMOUNTS, PRODUCTS } from './checkout';
import type { OrderState, OrderView, ShopOrder } from './order-book';

/**
 * The demo shop's pages. Everything here must also be representable in Windows-31J, because the
 * page that posts A01-1 is served in Shift_JIS: no `¥` (it becomes a backslash), no em dashes.
 */
const STYLE = `
*{box-sizing:border-box}
body{margin:0;background:#f6f3ec;color:#2f3a2c;font-family:"Hiragino Sans","Noto Sans JP","Yu Gothic",sans-serif;line-height:1.6}
header{background:#3f5a36;color:#f6f3ec;padding:14px 24px;display:flex;justify-content:space-between;align-items:baseline}
header a{color:#f6f3ec;text-decoration:none}
header .brand{font-size:1.25rem;font-weight:600;letter-spacing:.04em}
header nav a{margin-left:18px;font-size:.95rem}
main{max-width:860px;margin:28px auto;padding:0 20px}
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
.refund-actions form.inline{display:inline-block;margin:2px 4px 2px 0}.refund-actions .refund{margin-bottom:4px}
.refund-amount{width:7em}
.magic button{background:#fff;border:1px solid #3f5a36;color:#3f5a36;border-radius:6px;padding:3px 10px;cursor:pointer}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #ece6d8;padding:6px 8px;text-align:left;vertical-align:top}
th{color:#5d6757;font-weight:600}
code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem;word-break:break-all}
.ok{color:#2e7d32;font-weight:600}.bad{color:#c62828;font-weight:600}.wait{color:#b26a00;font-weight:600}
.notice{background:#fff8e1;border:1px solid #f0dca0;border-radius:8px;padding:10px 14px}
.error{background:#fdecea;border:1px solid #f5c2bd;border-radius:8px;padding:10px 14px}
`;

export function renderPage(element: JSX.Element): string {
  return `<!DOCTYPE html>${renderToString(element)}`;
}

function Layout(props: { title: string; charset: string; children: ComponentChildren }) {
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
        <main>{props.children}</main>
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

/** Amounts on the Shift_JIS page: `¥` has no Windows-31J form, so the yen sign is written as 円. */
function yenJa(amount: Yen): string {
  return `${amount.toLocaleString('en-US')}円`;
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
              <td>{props.fields.amount ?? ''} 円</td>
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

/** Nothing remains once a refund succeeded with a remaining amount of 0. */
function fullyRefunded(view: OrderView): boolean {
  return view.refunds.some((r) => r.result === 'OK' && r.remaining === '0');
}

/** The refund forms and the refunds asked for so far, for one paid order. */
function RefundCell(props: { view: OrderView; formToken: string }) {
  const action = `/orders/${encodeURIComponent(props.view.orderId)}/refund`;
  return (
    <td class="refund-actions small">
      {props.view.refunds.map((r, i) => (
        <div class="refund" data-refund-result={r.result ?? 'none'}>
          {r.amount === '' ? '全額 Full' : `${r.amount} 円`} ·{' '}
          {r.result ? REFUND_RESULT_LABELS[r.result] : r.problem}
          {r.errCode && ` (${r.errCode})`}
          {(r.result === 'AC' || r.result === null) && (
            <form method="post" action={action} class="inline">
              <input type="hidden" name="token" value={props.formToken} />
              <input type="hidden" name="repeat" value={String(i)} />
              <button type="submit">再確認 Check again</button>
            </form>
          )}
        </div>
      ))}
      {props.view.state === 'paid' && props.view.trackingId && !fullyRefunded(props.view) && (
        <>
          <form method="post" action={action} class="inline">
            <input type="hidden" name="token" value={props.formToken} />
            <button type="submit" class="refund-full">
              返金 Refund
            </button>
          </form>
          <form method="post" action={action} class="inline">
            <input type="hidden" name="token" value={props.formToken} />
            <label>
              <span class="en">Amount</span>
              <input type="number" name="amount" min="1" max="9999999" required class="refund-amount" />
            </label>
            <button type="submit" class="refund-partial">
              一部返金 Partial refund
            </button>
          </form>
        </>
      )}
    </td>
  );
}

export function OrdersPage(props: {
  views: readonly OrderView[];
  refundsEnabled: boolean;
  formToken: string;
}) {
  return (
    <Layout title="注文一覧" charset="UTF-8">
      <Heading ja="注文一覧" en="Orders" />
      <p class="notice">
        注文はこのデモショップのメモリにだけ保存され、再起動すると消えます。
        <span class="en">
          A demo: orders live only in this shop process's memory and are forgotten on restart. The state is
          what the shop learned from the gateway's result notifications (A02-1).
        </span>
      </p>
      <div class="card">
        {props.views.length === 0 ? (
          <p>
            まだ注文はありません。<span class="en">No orders yet.</span>
          </p>
        ) : (
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
                    {v.order ? formatYen(v.order.amount) : `${v.notifications[0]?.fields.amount ?? ''} 円`}
                  </td>
                  <td>{v.order ? formatJstDisplay(v.order.placedAt) : '(before restart)'}</td>
                  <td>
                    <StateLabel state={v.state} />
                  </td>
                  <td class="mono">{v.trackingId ?? ''}</td>
                  <td>{v.notifications.length}</td>
                  {props.refundsEnabled ? (
                    <RefundCell view={v} formToken={props.formToken} />
                  ) : (
                    <td class="refund-actions small">XML API password not configured</td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
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
