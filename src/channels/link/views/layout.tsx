import type { ComponentChildren, VNode } from 'preact';
import { render } from 'preact-render-to-string';

/**
 * The shell of every hosted page: one small inline stylesheet, readable on a phone, no external
 * resources and no inline event handlers, so a strict Content-Security-Policy (nonce-based
 * `style-src`/`script-src`) can serve it.
 */
const CSS = `*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#1b1d21;font:16px/1.6 system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans JP","Noto Sans",sans-serif}
main{max-width:32rem;margin:0 auto;padding:1.5rem 1rem}
.card{background:#fff;border:1px solid #d5d8de;border-radius:.5rem;padding:1.25rem}
h1{font-size:1.25rem;line-height:1.4;margin:0 0 1rem}
h2{font-size:1rem;margin:1.25rem 0 .5rem}
p{margin:0 0 1rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;margin:0 0 1rem}
dt{color:#50555e}
dd{margin:0;overflow-wrap:anywhere}
.amount{font-size:1.5rem;font-weight:700}
form{margin:0 0 .75rem}
button{width:100%;min-height:3rem;padding:.5rem 1rem;border-radius:.5rem;font:inherit;cursor:pointer}
.primary{background:#0a58ca;color:#fff;border:0;font-weight:700}
.secondary{background:#fff;color:#1b1d21;border:1px solid #7b818c}
a{color:#0a58ca}
:focus-visible{outline:3px solid #f0a000;outline-offset:2px}
.method{display:flex;align-items:center;gap:.75rem;text-align:left}
.method .mark{flex:none;border-radius:.5rem}
.method-name{flex:1;font-size:1.125rem;letter-spacing:.01em}
.chevron{font-size:1.5rem;line-height:1;opacity:.8}
button.primary:has(.method){background:#fff;color:#1b1d21;border:2px solid #1677ff;min-height:4rem;padding:.5rem .75rem;box-shadow:0 1px 2px rgba(22,119,255,.15)}
button.primary:has(.method):hover{background:#f0f6ff}
.provided{font-size:.8125rem;color:#50555e;margin:1rem 0 0;padding-top:.75rem;border-top:1px solid #e6e8ec}
.lang ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:1.5rem 0 0;padding:0;font-size:.875rem}
.lang a{white-space:nowrap}
.code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
.en{color:#3d4149}
.disturbed{border-left:4px solid #b35900;background:#fff4e5;padding:.5rem .75rem;border-radius:.25rem}`;

export interface LayoutProps {
  lang: string;
  title: string;
  /** The CSP nonce for the inline style and script. */
  nonce?: string | undefined;
  /** Declared charset; the integrator encodes the document in it. */
  charset?: 'UTF-8' | 'Shift_JIS';
  /** Extra elements for the head (meta refresh). */
  head?: ComponentChildren;
  children: ComponentChildren;
}

export function Layout(props: LayoutProps): VNode {
  return (
    <html lang={props.lang}>
      <head>
        <meta charSet={props.charset ?? 'UTF-8'} />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        {/* The page URLs carry the payment's token: keep them out of other sites' logs. */}
        <meta name="referrer" content="no-referrer" />
        <title>{props.title}</title>
        {props.head}
        <style nonce={props.nonce} dangerouslySetInnerHTML={{ __html: CSS }} />
      </head>
      <body>
        <main>
          <div class="card">{props.children}</div>
        </main>
      </body>
    </html>
  );
}

/** A complete HTML document. */
export function renderDocument(page: VNode): string {
  return `<!doctype html>${render(page)}`;
}

/**
 * A one-button POST form to a payment's action (configuration.md, Fixed paths): going on to Alipay+
 * is the primary button, going back to the shop the secondary one.
 */
export function PaymentAction(props: {
  token: string;
  action: 'alipayplus' | 'cancel';
  children: ComponentChildren;
}): VNode {
  return (
    <form method="post" action={`/f01/payments/${encodeURIComponent(props.token)}/${props.action}`}>
      <button type="submit" class={props.action === 'alipayplus' ? 'primary' : 'secondary'}>
        {props.children}
      </button>
    </form>
  );
}
