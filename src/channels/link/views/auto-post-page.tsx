import { Layout, renderDocument } from './layout';

/**
 * The A03-1 purchase result: an auto-submitting POST form to the merchant's success/cancel/error
 * URL (merchant-link-type.md, A03-1). Browsers encode a form in the charset of its page, so the
 * page declares the service's encoding and its own text is ASCII or kana/kanji that Shift_JIS
 * carries; the caller encodes the returned document in that charset and serves it with the same
 * `Content-Type` charset. The button is there for browsers without script.
 */
export interface AutoPostPageProps {
  action: string;
  pairs: ReadonlyArray<readonly [name: string, value: string]>;
  acceptCharset: 'Shift_JIS' | 'UTF-8';
  nonce?: string;
}

const FORM_ID = 'result';
const SUBMIT_SCRIPT = `document.getElementById('${FORM_ID}').submit();`;

export function renderAutoPostPage(props: AutoPostPageProps): { html: string } {
  const html = renderDocument(
    <Layout
      lang="ja"
      title="ショップに戻ります / Returning to the shop"
      nonce={props.nonce}
      charset={props.acceptCharset}
    >
      <form id={FORM_ID} method="post" action={props.action} acceptCharset={props.acceptCharset}>
        {props.pairs.map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <p>
          ショップに戻ります。
          <br />
          <span lang="en" class="en">
            Returning to the shop.
          </span>
        </p>
        <button type="submit" class="primary">
          次へ / Continue
        </button>
      </form>
      <script nonce={props.nonce} dangerouslySetInnerHTML={{ __html: SUBMIT_SCRIPT }} />
    </Layout>,
  );
  return { html };
}
