import { type Language, TEXTS } from '../i18n';
import { Layout, PaymentAction, renderDocument } from './layout';

/**
 * "Confirming your payment" (merchant-link-type.md, the way back from Alipay+): shown while the
 * outcome is still open. It reloads its own URL every 3 s — no script needed — and offers to cancel,
 * which cancels with Alipay+ first.
 */
export interface ConfirmingPageProps {
  token: string;
  lang: Language;
  nonce?: string;
}

export const CONFIRMING_REFRESH_SECONDS = 3;

export function renderConfirmingPage(props: ConfirmingPageProps): string {
  const t = TEXTS[props.lang];
  return renderDocument(
    <Layout
      lang={props.lang}
      title={t.confirmingTitle}
      nonce={props.nonce}
      head={<meta http-equiv="refresh" content={String(CONFIRMING_REFRESH_SECONDS)} />}
    >
      <h1>{t.confirmingTitle}</h1>
      <p role="status">{t.confirmingBody}</p>
      <PaymentAction token={props.token} action="cancel">
        {t.cancelAndReturn}
      </PaymentAction>
    </Layout>,
  );
}
