import type { ComponentChildren } from 'preact';
import { formatJstDisplay } from '../../kernel/jst';
import { formatYen, yen } from '../../kernel/money';
import { formatMinor } from '../fx';
import type { Order } from '../store';
import { TEST_USER_NAMES, WALLETS, type Wallet, type WalletId } from '../wallets';
import { type Lang, reason, type Translate } from './i18n';
import { Layout, scriptJson } from './layout';

/** What every shopper page knows: language, translation, and how to link this page in another language. */
export interface View {
  lang: Lang;
  t: Translate;
  langHref: (lang: Lang) => string;
  /** Appends `lang` to a link inside the flow, so the choice sticks. */
  link: (path: string) => string;
}

export interface WalletQuote {
  currency: string;
  amount: bigint;
  rate: string;
}

function OrderSummary({ order, view, quote }: { order: Order; view: View; quote?: WalletQuote | undefined }) {
  const { t } = view;
  return (
    <section>
      <dl class="summary">
        <dt>{t('merchant')}</dt>
        <dd id="merchant-name">{order.merchant_display_name}</dd>
        {/* orderDescription: what the merchant sold; referenceOrderId: the acquirer's order reference. */}
        <dt>{t('order')}</dt>
        <dd>{order.order_description}</dd>
        <dt>{t('reference')}</dt>
        <dd id="reference-order-id" class="ref">
          {order.reference_order_id}
        </dd>
        <dt>{t('amount')}</dt>
        <dd class="big" id="amount-jpy">
          {formatYen(yen(order.amount))}
        </dd>
        {quote && (
          <>
            <dt>{t('youPay')}</dt>
            <dd class="big" id="amount-wallet" data-currency={quote.currency}>
              {quote.currency} {formatMinor(quote.amount, quote.currency)}
            </dd>
            <dt>{t('rate')}</dt>
            <dd id="rate">
              1 JPY = {quote.rate} {quote.currency}
            </dd>
          </>
        )}
        <dt>{t('payBefore')}</dt>
        <dd>{formatJstDisplay(new Date(order.expires_at))} JST</dd>
      </dl>
    </section>
  );
}

function WalletTile({ wallet, href }: { wallet: Wallet; href: string }) {
  return (
    <a class="wallet" href={href} data-wallet={wallet.id}>
      <img src={`/sandbox/wallets/${wallet.id}/logo.svg`} alt="" />
      <span>
        {wallet.name}
        <small>
          {wallet.region} · {wallet.currency}
        </small>
      </span>
    </a>
  );
}

function Page(props: { view: View; title: string; head?: ComponentChildren; children: ComponentChildren }) {
  return (
    <Layout title={props.title} lang={props.view.lang} langHref={props.view.langHref} head={props.head}>
      {props.children}
    </Layout>
  );
}

/** The cashier (`normalUrl`): the merchant's wallets grouped by purchase procedure. */
export function CashierPage({ order, wallets, view }: { order: Order; wallets: WalletId[]; view: View }) {
  const { t } = view;
  const groups = [
    { key: 'qr', title: t('qrGroup'), list: wallets.filter((w) => WALLETS[w].procedure === 'QR') },
    { key: 'login', title: t('loginGroup'), list: wallets.filter((w) => WALLETS[w].procedure === 'LOGIN') },
  ];
  return (
    <Page view={view} title={t('cashier')}>
      <h1>{t('cashier')}</h1>
      <OrderSummary order={order} view={view} />
      <section>
        <h2>{t('chooseWallet')}</h2>
        {wallets.length === 0 && <p class="error">{t('noWallets')}</p>}
        {groups
          .filter((g) => g.list.length > 0)
          .map((g) => (
            <div id={`wallets-${g.key}`}>
              <h3 class="muted">{g.title}</h3>
              <div class="wallets">
                {g.list.map((id) => (
                  <WalletTile
                    wallet={WALLETS[id]}
                    href={view.link(`/sandbox/cashier/${order.payment_id}/${id}`)}
                  />
                ))}
              </div>
            </div>
          ))}
      </section>
    </Page>
  );
}

/** A QR wallet on a PC: the code the app scans, and a watcher that moves on once the order is final. */
export function QrPage(props: {
  order: Order;
  wallet: WalletId;
  quote: WalletQuote;
  qrDataUrl: string;
  appUrl: string;
  appPath: string;
  statusPath: string;
  view: View;
}) {
  const { t } = props.view;
  const name = WALLETS[props.wallet].name;
  const watcher = `(function(){var u=${scriptJson(props.statusPath)};function poll(){fetch(u,{cache:'no-store'}).then(function(r){return r.json()}).then(function(s){if(s.status!=='PROCESSING'&&s.redirectUrl){location.href=s.redirectUrl}else{setTimeout(poll,1500)}}).catch(function(){setTimeout(poll,3000)})}setTimeout(poll,1500)})();`;
  return (
    <Page
      view={props.view}
      title={t('scanTitle', { wallet: name })}
      head={<script dangerouslySetInnerHTML={{ __html: watcher }} />}
    >
      <h1>{t('scanTitle', { wallet: name })}</h1>
      <OrderSummary order={props.order} view={props.view} quote={props.quote} />
      <section class="qr">
        <p>{t('scanHelp', { wallet: name })}</p>
        <img id="qr" src={props.qrDataUrl} alt={props.appUrl} data-qr-content={props.appUrl} />
        <p id="waiting" class="muted">
          {t('waiting')}
        </p>
        <p>
          <a id="open-wallet-app" href={props.view.link(props.appPath)}>
            {t('openHere')}
          </a>
        </p>
        <p>
          <a href={props.view.link(`/sandbox/cashier/${props.order.payment_id}`)}>{t('otherWallet')}</a>
        </p>
      </section>
    </Page>
  );
}

/** The universal app link (CONNECT_WALLET on a smartphone): which wallet app opened it. */
export function AnyWalletAppPage({
  order,
  wallets,
  view,
}: {
  order: Order;
  wallets: WalletId[];
  view: View;
}) {
  return (
    <Page view={view} title={view.t('chooseApp')}>
      <h1>{view.t('chooseApp')}</h1>
      <OrderSummary order={order} view={view} />
      <section class="wallets">
        {wallets.map((id) => (
          <WalletTile
            wallet={WALLETS[id]}
            href={view.link(`/sandbox/wallets/${id}/app/${order.payment_id}`)}
          />
        ))}
      </section>
    </Page>
  );
}

function PayCancelButtons({ t }: { t: Translate }) {
  return (
    <div class="buttons">
      <button id="pay" type="submit" name="action" value="pay">
        {t('pay')}
      </button>
      <button id="cancel" class="secondary" type="submit" name="action" value="cancel">
        {t('cancel')}
      </button>
    </div>
  );
}

/** The wallet-app simulator: pick a test user, see the order, Pay or Cancel. */
export function WalletAppPage(props: {
  order: Order;
  wallet: WalletId;
  quote: WalletQuote;
  action: string;
  view: View;
}) {
  const { t, lang } = props.view;
  const title = t('appTitle', { wallet: WALLETS[props.wallet].name });
  return (
    <Page view={props.view} title={title}>
      <h1>{title}</h1>
      <OrderSummary order={props.order} view={props.view} quote={props.quote} />
      <section>
        <form class="stack" method="post" action={props.action}>
          <input type="hidden" name="lang" value={lang} />
          <label>
            {t('testUser')}
            <select name="user" id="user">
              {TEST_USER_NAMES.map((user) => (
                <option value={user} selected={user === 'alice'}>
                  {user}
                </option>
              ))}
            </select>
          </label>
          <PayCancelButtons t={t} />
        </form>
      </section>
    </Page>
  );
}

/** An account-login wallet's sign-in page. */
export function LoginPage(props: {
  order: Order;
  wallet: WalletId;
  action: string;
  failed: boolean;
  view: View;
}) {
  const { t, lang } = props.view;
  const title = t('signInTitle', { wallet: WALLETS[props.wallet].name });
  return (
    <Page view={props.view} title={title}>
      <h1>{title}</h1>
      <OrderSummary order={props.order} view={props.view} />
      <section>
        {props.failed && (
          <p class="error" id="login-error">
            {t('wrongLogin')}
          </p>
        )}
        <form class="stack" method="post" action={props.action}>
          <input type="hidden" name="lang" value={lang} />
          <label>
            {t('user')}
            <input name="user" id="user" autocomplete="username" required />
          </label>
          <label>
            {t('password')}
            <input name="password" id="password" type="password" autocomplete="current-password" required />
          </label>
          <p class="muted">alice · nofunds · overlimit · risk · frozen / sandbox</p>
          <div class="buttons">
            <button id="sign-in" type="submit">
              {t('signIn')}
            </button>
          </div>
        </form>
        <p>
          <a href={props.view.link(`/sandbox/cashier/${props.order.payment_id}`)}>{t('otherWallet')}</a>
        </p>
      </section>
    </Page>
  );
}

/** After signing in: the amount in the wallet's currency, "Pay" and "Cancel". */
export function ConfirmPage(props: {
  order: Order;
  wallet: WalletId;
  user: string;
  session: string;
  quote: WalletQuote;
  action: string;
  view: View;
}) {
  const { t, lang } = props.view;
  return (
    <Page view={props.view} title={t('confirmTitle')}>
      <h1>{t('confirmTitle')}</h1>
      <p class="muted" id="signed-in-user">
        {WALLETS[props.wallet].name} · {props.user}
      </p>
      <OrderSummary order={props.order} view={props.view} quote={props.quote} />
      <section>
        <form method="post" action={props.action}>
          <input type="hidden" name="lang" value={lang} />
          <input type="hidden" name="session" value={props.session} />
          <PayCancelButtons t={t} />
        </form>
      </section>
    </Page>
  );
}

const REDIRECT_SECONDS = 3;

/** The outcome of "Pay"; the browser then goes on to the ACQP's `paymentRedirectUrl`. */
export function ResultPage(props: { status: string; resultCode: string; redirectUrl: string; view: View }) {
  const { t } = props.view;
  const paid = props.status === 'SUCCESS';
  const title = paid ? t('paid') : props.status === 'PROCESSING' ? t('processing') : t('refused');
  return (
    <Page
      view={props.view}
      title={title}
      head={<meta http-equiv="refresh" content={`${REDIRECT_SECONDS};url=${props.redirectUrl}`} />}
    >
      <section id="result" data-status={props.status} data-result-code={props.resultCode}>
        <h1 class={paid ? 'ok' : 'error'}>{title}</h1>
        {!paid && props.status !== 'PROCESSING' && <p id="reason">{reason(t, props.resultCode)}</p>}
        <p class="muted">{t('redirecting')}</p>
        <p>
          <a id="return" href={props.redirectUrl}>
            {t('back')}
          </a>
        </p>
      </section>
    </Page>
  );
}

/** An order that can no longer be paid, an unknown order, a wallet not allowed. */
export function MessagePage(props: { message: string; redirectUrl?: string | undefined; view: View }) {
  return (
    <Page view={props.view} title={props.message}>
      <section id="message">
        <h1>{props.message}</h1>
        {props.redirectUrl && (
          <p>
            <a id="return" href={props.redirectUrl}>
              {props.view.t('back')}
            </a>
          </p>
        )}
      </section>
    </Page>
  );
}
