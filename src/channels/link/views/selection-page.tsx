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
  itemName: string;
  amount: Yen;
  lang: Language;
  nonce?: string;
}

export function renderSelectionPage(props: SelectionPageProps): string {
  const t = TEXTS[props.lang];
  return renderDocument(
    <Layout lang={props.lang} title={t.selectTitle} nonce={props.nonce}>
      <h1>{t.selectTitle}</h1>
      <dl>
        <dt>{t.shop}</dt>
        <dd>{props.merchantName}</dd>
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
      <p>{t.alipayHint}</p>
      <PaymentAction token={props.token} action="alipayplus">
        [Alipay+]
      </PaymentAction>
      <PaymentAction token={props.token} action="cancel">
        {t.returnToShop}
      </PaymentAction>
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
