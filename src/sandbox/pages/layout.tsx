import type { ComponentChildren, VNode } from 'preact';
import { render } from 'preact-render-to-string';
import { LANGUAGES, type Lang } from './i18n';

const CSS = `
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;background:#f3f6fb;color:#1b2430}
header{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;justify-content:space-between;padding:.6rem 1rem;background:#1677ff;color:#fff}
header .brand{font-weight:700;white-space:nowrap}
header small{font-weight:400;opacity:.85;margin-left:.3rem}
nav.langs{display:flex;flex-wrap:wrap;gap:.1rem .6rem}
nav.langs a{color:#fff;font-size:.85rem;text-decoration:none;opacity:.8;white-space:nowrap}
nav.langs a[aria-current="true"]{opacity:1;text-decoration:underline}
main{max-width:44rem;margin:1.5rem auto;padding:0 1rem}
main.wide{max-width:none}
section,.card{background:#fff;border-radius:.6rem;padding:1rem 1.2rem;margin-bottom:1rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.3rem;margin:.2rem 0 1rem}
h2{font-size:1.05rem;margin:.2rem 0 .7rem}
dl.summary{display:grid;grid-template-columns:auto 1fr;gap:.3rem 1rem;margin:0}
dl.summary dt{color:#5b6778}
dl.summary dd{margin:0;word-break:keep-all;overflow-wrap:anywhere}
@media (max-width:30rem){dl.summary{grid-template-columns:1fr;gap:0}dl.summary dd{margin-bottom:.5rem}}
.big{font-size:1.6rem;font-weight:700;white-space:nowrap}
.wallets{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.6rem}
a.wallet{display:flex;gap:.6rem;align-items:center;padding:.6rem;border:1px solid #d5dce6;border-radius:.5rem;color:inherit;text-decoration:none;background:#fff}
a.wallet:hover{border-color:#1677ff}
a.wallet img{width:2.2rem;height:2.2rem}
a.wallet small{display:block;color:#5b6778}
.qr{text-align:center}
.qr img{width:16rem;height:16rem;image-rendering:pixelated}
form.stack{display:grid;gap:.7rem;max-width:22rem}
label{display:grid;gap:.2rem}
input,select{font:inherit;padding:.45rem .6rem;border:1px solid #c4ccd8;border-radius:.4rem}
button{font:inherit;padding:.55rem 1.1rem;border-radius:.4rem;border:1px solid #1677ff;background:#1677ff;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1677ff}
.buttons{display:flex;gap:.6rem}
.error{color:#c62828}
.ok{color:#2e7d32}
.muted{color:#5b6778;font-size:.9rem}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{text-align:left;padding:.3rem .4rem;border-bottom:1px solid #e3e8ef;vertical-align:top}
td form{display:inline}
td button{padding:.2rem .5rem;font-size:.8rem}
pre{white-space:pre-wrap;word-break:break-all;margin:0;font-size:.75rem;max-width:40rem}
`;

export interface LayoutProps {
  title: string;
  lang: Lang;
  /** Builds the link to this same page in another language; no switch when absent. */
  langHref?: (lang: Lang) => string;
  head?: ComponentChildren;
  wide?: boolean;
  children: ComponentChildren;
}

export function Layout(props: LayoutProps) {
  const { langHref } = props;
  return (
    <html lang={props.lang}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <style dangerouslySetInnerHTML={{ __html: CSS }} />
        {props.head}
      </head>
      <body>
        <header>
          <span class="brand">
            Alipay+<small>sandbox</small>
          </span>
          {langHref && (
            <nav class="langs" aria-label="Language">
              {(Object.keys(LANGUAGES) as Lang[]).map((code) => (
                <a href={langHref(code)} hreflang={code} lang={code} aria-current={code === props.lang}>
                  {LANGUAGES[code]}
                </a>
              ))}
            </nav>
          )}
        </header>
        <main class={props.wide ? 'wide' : undefined}>{props.children}</main>
      </body>
    </html>
  );
}

export function renderPage(page: VNode): string {
  return `<!doctype html>${render(page)}`;
}

/** JSON for an inline script: `<` is escaped so the text can never close the script element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
