import { formatJstDisplay } from '../../../kernel/jst';
import { TEXTS } from '../i18n';
import { LINK_ERROR_CODES, type LinkErrorCode } from '../purchase-request';
import { Layout, PaymentAction, renderDocument } from './layout';

/**
 * The gateway's error page: the 4-digit code and, for field errors, the field — Japanese and
 * English together (merchant-link-type.md, Errors). Served with `LINK_ERROR_CODES[code].httpStatus`
 * (413 for an oversized body).
 */
export interface ErrorPageProps {
  code: LinkErrorCode;
  field?: string | null;
  nonce?: string;
  /** Quoted by the shopper or merchant to support: it finds our log lines. */
  requestId: string;
  /** 5112 during a maintenance window: its expected end, shown in JST (governance.md, 5). */
  maintenanceEndsAt?: Date | undefined;
  /**
   * A refused pay of an existing payment: its token, so the page offers "return to shop" (the
   * selection screen's cancel), which ends the payment and sends the shopper back with CN.
   */
  returnToken?: string | undefined;
}

export function renderErrorPage({
  code,
  field,
  nonce,
  requestId,
  maintenanceEndsAt,
  returnToken,
}: ErrorPageProps): string {
  const end = maintenanceEndsAt ? `${formatJstDisplay(maintenanceEndsAt).slice(0, 16)}` : null;
  const { ja, en } = LINK_ERROR_CODES[code];
  return renderDocument(
    <Layout lang="ja" title={`エラー ${code} / Error ${code}`} nonce={nonce}>
      <h1>
        エラー <span class="code">{code}</span> <span lang="en">/ Error {code}</span>
      </h1>
      <p>{ja}</p>
      <p lang="en" class="en">
        {en}
      </p>
      <dl>
        {end ? (
          <>
            <dt>
              終了予定 <span lang="en">/ Expected end</span>
            </dt>
            <dd class="code" id="maintenance-end">
              {end} (JST)
            </dd>
          </>
        ) : null}
        {field ? (
          <>
            <dt>
              項目 <span lang="en">/ Field</span>
            </dt>
            <dd class="code">{field}</dd>
          </>
        ) : null}
        <dt>
          お問い合わせ番号 <span lang="en">/ Reference for support</span>
        </dt>
        <dd class="code">{requestId}</dd>
      </dl>
      <p>
        お手数ですが、ご利用のショップにお問い合わせください。
        <br />
        <span lang="en" class="en">
          Please contact the shop where you were shopping.
        </span>
      </p>
      {returnToken ? (
        <PaymentAction token={returnToken} action="cancel">
          {TEXTS.ja.returnToShop} <span lang="en">/ {TEXTS.en.returnToShop}</span>
        </PaymentAction>
      ) : null}
    </Layout>,
  );
}
