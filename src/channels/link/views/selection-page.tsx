import { formatYen, type Yen } from '../../../kernel/money';
import { LANGUAGE_NAMES, LANGUAGES, type Language, TEXTS } from '../i18n';
import { Layout, PaymentAction, renderDocument } from './layout';

/**
 * The method-selection screen (merchant-link-type.md, Method-selection screen): the order, one
 * method — [Alipay+], never the individual sub-brands — "return to shop", and the language switch.
 */
export interface SelectionPageProps {
  token: string;
  merchantName: string;
  /** The merchant's order id, so the shopper can match the payment to the order. */
  orderId: string;
  itemName: string;
  amount: Yen;
  lang: Language;
  nonce?: string;
  /** An outage incident is open: purchases are still taken, the shopper is warned. */
  disturbed?: boolean;
}

export function renderSelectionPage(props: SelectionPageProps): string {
  const t = TEXTS[props.lang];
  return renderDocument(
    <Layout lang={props.lang} title={t.selectTitle} nonce={props.nonce}>
      <h1>{t.selectTitle}</h1>
      <dl>
        <dt>{t.shop}</dt>
        <dd>{props.merchantName}</dd>
        <dt>{t.orderId}</dt>
        <dd class="code" id="order-id">
          {props.orderId}
        </dd>
        {props.itemName === '' ? null : (
          <>
            <dt>{t.item}</dt>
            <dd>{props.itemName}</dd>
          </>
        )}
        <dt>{t.amount}</dt>
        <dd class="amount">{formatYen(props.amount)}</dd>
      </dl>
      <h2>{t.paymentMethod}</h2>
      {props.disturbed && (
        <p class="disturbed" id="disturbed" role="status">
          {t.disturbed}
        </p>
      )}
      <p>{t.alipayHint}</p>
      <PaymentAction token={props.token} action="alipayplus">
        <span class="method">
          <AlipayPlusMark />
          <span class="method-name">[Alipay+]</span>
          <span class="chevron" aria-hidden="true">
            ›
          </span>
        </span>
      </PaymentAction>
      <PaymentAction token={props.token} action="cancel">
        {t.returnToShop}
      </PaymentAction>
      <p class="provided">{t.providedBy}</p>
      <nav class="lang" aria-label={t.language}>
        <ul>
          {LANGUAGES.map((language) => (
            <li key={language}>
              <a
                href={`?lang=${language}`}
                lang={language}
                hrefLang={language}
                aria-current={language === props.lang ? 'true' : undefined}
              >
                {LANGUAGE_NAMES[language]}
              </a>
            </li>
          ))}
        </ul>
      </nav>
    </Layout>,
  );
}

/** A plain mark for the one method (inline, so the strict CSP needs no image source). */
function AlipayPlusMark() {
  return (
    <svg class="mark" viewBox="0 0 40 40" width="40" height="40" aria-hidden="true">
      <rect width="40" height="40" rx="9" fill="#1677ff" />
      <text
        x="20"
        y="26"
        text-anchor="middle"
        font-family="system-ui,sans-serif"
        font-size="16"
        font-weight="700"
        fill="#fff"
      >
        A+
      </text>
    </svg>
  );
}
