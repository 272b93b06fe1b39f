import { formatJstDisplay } from '../../../kernel/jst';
import { LINK_ERROR_CODES, type LinkErrorCode } from '../purchase-request';
import { Layout, renderDocument } from './layout';

/**
 * The gateway's error page: the 4-digit code and, for field errors, the field — Japanese and
 * English together (merchant-link-type.md, Errors). Served with `LINK_ERROR_CODES[code].httpStatus`
 * (413 for an oversized body).
 */
export interface ErrorPageProps {
  code: LinkErrorCode;
  field?: string | null;
  nonce?: string;
  /** 5112 during a maintenance window: its expected end, shown in JST (governance.md, 5). */
  maintenanceEndsAt?: Date | undefined;
}

export function renderErrorPage({ code, field, nonce, maintenanceEndsAt }: ErrorPageProps): string {
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
      {end ? (
        <dl>
          <dt>
            終了予定 <span lang="en">/ Expected end</span>
          </dt>
          <dd class="code" id="maintenance-end">
            {end} (JST)
          </dd>
        </dl>
      ) : null}
      {field ? (
        <dl>
          <dt>
            項目 <span lang="en">/ Field</span>
          </dt>
          <dd class="code">{field}</dd>
        </dl>
      ) : null}
      <p>
        お手数ですが、ご利用のショップにお問い合わせください。
        <br />
        <span lang="en" class="en">
          Please contact the shop where you were shopping.
        </span>
      </p>
    </Layout>,
  );
}
