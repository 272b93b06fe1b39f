import { type Language, TEXTS } from '../i18n';
import { LINK_ERROR_CODES } from '../purchase-request';
import { Layout, PaymentAction, renderDocument } from './layout';

/**
 * Error 4301, no answer from Alipay+ (merchant-link-type.md, Errors): the payment stays
 * IN_PROGRESS; "try again" re-sends the same `pay`, "return to shop" cancels. Served with
 * `LINK_ERROR_CODES['4301'].httpStatus`.
 */
export interface ProviderUnavailablePageProps {
  token: string;
  lang: Language;
  nonce?: string;
  requestId: string;
}

export function renderProviderUnavailablePage(props: ProviderUnavailablePageProps): string {
  const t = TEXTS[props.lang];
  return renderDocument(
    <Layout lang={props.lang} title={t.unavailableTitle} nonce={props.nonce}>
      <h1>{t.unavailableTitle}</h1>
      <p>{t.unavailableBody}</p>
      <p>
        {t.errorCode}: <span class="code">4301</span>
        {props.lang === 'en' ? null : (
          <span lang="en" class="en">
            {' '}
            ({LINK_ERROR_CODES['4301'].en})
          </span>
        )}
      </p>
      <p class="reference">
        {t.reference}: <span class="code">{props.requestId}</span>
      </p>
      <PaymentAction token={props.token} action="alipayplus">
        {t.tryAgain}
      </PaymentAction>
      <PaymentAction token={props.token} action="cancel">
        {t.returnToShop}
      </PaymentAction>
    </Layout>,
  );
}
