import type { ComponentChildren, VNode } from 'preact';
import { render } from 'preact-render-to-string';
import type { ConsoleHeader } from '../../governance/console-header';
import { GOVERNANCE_TEXTS } from '../../governance/governance-i18n';
import { CASE_TEXTS } from '../case-i18n';
import { jstText } from '../format';
import type { AdminLanguage, AdminTexts } from '../i18n';
import { type Actor, can } from '../permissions';

/**
 * The console's page shell: header with the menu, the signed-in person, sign-out and the language
 * switch; one stylesheet and one small script, both inline under the CSP nonce. Nothing external,
 * no inline event handlers or style attributes (the CSP allows neither).
 */
export type NavKey =
  | 'dashboard'
  | 'payments'
  | 'errors'
  | 'statements'
  | 'payouts'
  | 'settings'
  | 'users'
  | 'audit'
  | 'notices'
  | 'maintenance'
  | 'outages'
  | 'cases'
  | 'reports'
  | 'subBrands';

export interface PageContext {
  lang: AdminLanguage;
  t: AdminTexts;
  nonce: string;
  actor: Actor | null;
  /** The session's CSRF token ('' without a session). */
  csrf: string;
  /** The current URL with the other language selected. */
  switchLanguageHref: string;
  /** Unread notices and the maintenance / outage banners; null without a session. */
  header: ConsoleHeader | null;
}

const CSS = `*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#f4f5f7;color:#1b1d21;font:15px/1.6 system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans JP","IPAGothic",sans-serif}
a{color:#0a58ca}
:focus-visible{outline:3px solid #f0a000;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:10}
.skip:focus{left:.5rem}
header{background:#12263f;color:#fff}
header a{color:#fff}
.bar{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem;max-width:80rem;margin:0 auto;padding:.5rem 1rem}
.brand{font-weight:700;text-decoration:none;margin-right:auto}
nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem;margin:0;padding:0}
nav a{display:block;padding:.35rem .7rem;border-radius:.35rem;text-decoration:none}
nav a[aria-current=page]{background:#2d4d75;font-weight:700}
nav a:hover{background:#23405f}
.who{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;font-size:.875rem}
.who form{margin:0}
.who button{background:transparent;color:#fff;border:1px solid #9fb3c8;border-radius:.35rem;padding:.2rem .7rem;font:inherit;cursor:pointer}
main{max-width:80rem;margin:0 auto;padding:1.25rem 1rem 3rem}
h1{font-size:1.5rem;margin:.25rem 0 1rem}
h2{font-size:1.15rem;margin:1.5rem 0 .6rem}
h3{font-size:1rem;margin:1rem 0 .4rem}
.card{background:#fff;border:1px solid #d5d8de;border-radius:.5rem;padding:1rem 1.25rem;margin:0 0 1rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:1rem}
.card>h2:first-child,.card>h3:first-child{margin-top:0}
.kpi{margin:0;display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.75rem 1rem}
.kpi dt{color:#50555e;font-size:.875rem}
.kpi dd{margin:0;font-size:1.35rem;font-weight:700}
.kpi dd small{display:block;font-size:.8rem;font-weight:400;color:#50555e}
.note{color:#50555e;font-size:.875rem}
.notice{border-left:4px solid #0a58ca;background:#eef4ff;padding:.6rem 1rem;margin:0 0 1rem;border-radius:.25rem}
.notice.ok{border-color:#1a7f37;background:#eaf7ee}
.notice.warn{border-color:#b35900;background:#fff4e5}
.notice.error{border-color:#c62828;background:#fdecec}
.secret{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:1rem;background:#fff;border:1px dashed #7b818c;padding:.4rem .6rem;display:inline-block;overflow-wrap:anywhere;user-select:all}
.scroll{overflow-x:auto;background:#fff;border:1px solid #d5d8de;border-radius:.5rem}
table{border-collapse:collapse;width:100%;font-size:.875rem}
th,td{padding:.45rem .6rem;border-bottom:1px solid #e4e6ea;text-align:left;vertical-align:top;white-space:nowrap}
td.wrap,th.wrap{white-space:normal;overflow-wrap:anywhere;min-width:12rem}
th{background:#f0f2f5;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.5rem .6rem}
dl.fields{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.35rem 1.25rem;margin:0}
dl.fields dt{color:#50555e}
dl.fields dd{margin:0;overflow-wrap:anywhere}
form.filters{display:grid;grid-template-columns:repeat(auto-fill,minmax(13rem,1fr));gap:.75rem 1rem;align-items:end}
label{display:block;font-size:.875rem;font-weight:600;margin-bottom:.2rem}
input,select,textarea{width:100%;font:inherit;padding:.4rem .5rem;border:1px solid #7b818c;border-radius:.35rem;background:#fff;color:inherit}
textarea{min-height:6rem}
fieldset{border:1px solid #d5d8de;border-radius:.35rem;padding:.5rem .75rem;margin:0 0 .75rem}
legend{font-weight:600;font-size:.875rem}
fieldset label{display:inline-flex;gap:.35rem;align-items:center;font-weight:400;margin-right:1rem}
fieldset input{width:auto}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.actions label{margin:0}
.actions input{width:auto;max-width:12rem}
.field{margin:0 0 .75rem}
button,.button{display:inline-block;font:inherit;min-height:2.5rem;padding:.4rem 1rem;border-radius:.35rem;border:1px solid #0a58ca;background:#0a58ca;color:#fff;font-weight:600;cursor:pointer;text-decoration:none}
button.secondary,.button.secondary{background:#fff;color:#0a58ca}
button.danger{background:#b42318;border-color:#b42318}
button:disabled{opacity:.6;cursor:default}
.tabs{display:flex;gap:.25rem;border-bottom:2px solid #d5d8de;margin:0 0 1rem;padding:0;list-style:none}
.tabs a{display:block;padding:.5rem 1rem;text-decoration:none;border:1px solid transparent;border-bottom:0;border-radius:.35rem .35rem 0 0}
.tabs a[aria-current=page]{background:#fff;border-color:#d5d8de;font-weight:700;margin-bottom:-2px;border-bottom:2px solid #fff}
.badge{display:inline-block;padding:0 .5rem;border-radius:1rem;background:#e4e6ea;font-size:.8rem}
.badge.CAPTURED,.badge.DELIVERED,.badge.SUCCEEDED,.badge.PAID{background:#d7f0de}
.badge.PARTIALLY_REFUNDED,.badge.REFUNDED,.badge.PROCESSING,.badge.PENDING,.badge.SCHEDULED,.badge.SENT{background:#fdeccc}
.badge.FAILED,.badge.UNDELIVERED,.badge.REFUSED{background:#fbd5d5}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f7f8fa;border:1px solid #e4e6ea;border-radius:.35rem;padding:.5rem;font-size:.8rem;max-height:24rem;overflow:auto;margin:.25rem 0}
details{margin:.25rem 0}
.pager{display:flex;gap:1rem;margin:.75rem 0}
.chart{width:100%;height:auto;display:block}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0;margin:.5rem 0 0;font-size:.8rem}
.legend svg{vertical-align:middle;margin-right:.3rem}
.login{max-width:24rem;margin:3rem auto}
.unread{display:inline-block;min-width:1.4rem;padding:0 .4rem;border-radius:1rem;background:#f0a000;color:#12263f;font-weight:700;text-align:center}
.banners{max-width:80rem;margin:0 auto;padding:.75rem 1rem 0}
.banners .notice{margin:0 0 .5rem}
.notice-body{white-space:pre-line;overflow-wrap:anywhere}
.badge.warning{background:#fdeccc}
.badge.critical{background:#fbd5d5}
@media (max-width:40rem){main{padding:1rem .75rem 2rem}h1{font-size:1.25rem}dl.fields{grid-template-columns:1fr}dl.fields dd{margin-bottom:.4rem}.brand{width:100%}}`;

/**
 * A form (or its submit button) with `data-confirm` asks first; `{amount}` in the question is the
 * form's amount field as yen, read as the server reads it (`parseRefundAmount`): an amount it would
 * refuse is not asked about but marked invalid with the form's `data-amount-invalid` text. `data-confirm-changed` asks only when a radio or checkbox marked
 * `data-initial` differs from how the page showed it. A submitted form's buttons are disabled so
 * a double click sends it once (and enabled again when the page is shown from the history).
 */
const SCRIPT = `document.addEventListener('submit',function(e){var f=e.target,b=e.submitter;
var q=(b&&b.getAttribute('data-confirm'))||f.getAttribute('data-confirm');var c=f.getAttribute('data-confirm-changed');
if(!q&&c){f.querySelectorAll('[data-initial]').forEach(function(i){if(i.checked!==(i.getAttribute('data-initial')==='checked'))q=c;});}
if(q){var a=f.querySelector('[name=amount]');if(a){var v=String(a.value).normalize('NFKC').replace(/[,\\s¥円]/g,'');
if(!/^\\d{1,7}$/.test(v)||Number(v)<1){e.preventDefault();a.setCustomValidity(f.getAttribute('data-amount-invalid')||'?');a.reportValidity();return;}
q=q.split('{amount}').join('¥'+Number(v).toLocaleString('en-US'));}
if(!window.confirm(q)){e.preventDefault();return;}}
setTimeout(function(){f.querySelectorAll('button').forEach(function(x){x.disabled=true;});},0);});
document.addEventListener('input',function(e){if(e.target.setCustomValidity)e.target.setCustomValidity('');});
window.addEventListener('pageshow',function(){document.querySelectorAll('button:disabled').forEach(function(x){x.disabled=false;});});`;

export function Layout(props: {
  page: PageContext;
  title: string;
  current?: NavKey;
  children: ComponentChildren;
}): VNode {
  const { page } = props;
  const { t, actor } = page;
  const g = GOVERNANCE_TEXTS[page.lang];
  const operator = actor?.role === 'operator';
  const items: Array<[NavKey, string, string, boolean]> = actor
    ? [
        ['dashboard', '/admin', t.nav.dashboard, true],
        ['payments', '/admin/payments', t.nav.payments, can(actor, 'payments.read')],
        ['errors', '/admin/errors', t.nav.errors, can(actor, 'payments.read')],
        ['statements', '/admin/statements', t.nav.statements, can(actor, 'statements.read')],
        ['payouts', '/admin/payouts', t.nav.payouts, can(actor, 'payouts.manage')],
        ['settings', '/admin/settings', t.nav.settings, can(actor, 'settings.read')],
        ['users', '/admin/users', t.nav.users, can(actor, 'users.manage')],
        ['audit', '/admin/audit', t.nav.audit, can(actor, 'audit.read')],
        ['subBrands', '/admin/sub-brands', g.nav.subBrands, true],
        ['maintenance', '/admin/maintenance', g.nav.maintenance, true],
        ['outages', '/admin/outages', g.nav.outages, operator],
        ['cases', '/admin/kyc', CASE_TEXTS[page.lang].nav, can(actor, 'governance.read')],
        ['reports', '/admin/reports', t.nav.reports, can(actor, 'reports.reconcile')],
      ]
    : [];
  return (
    <html lang={page.lang}>
      <head>
        <meta charSet="UTF-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <meta name="referrer" content="no-referrer" />
        {/* No favicon request: nothing outside the console's own paths. */}
        <link rel="icon" href="data:," />
        <title>{`${props.title} | ${t.product}`}</title>
        <style nonce={page.nonce} dangerouslySetInnerHTML={{ __html: CSS }} />
        <script nonce={page.nonce} dangerouslySetInnerHTML={{ __html: SCRIPT }} />
      </head>
      <body>
        <a class="skip" href="#main">
          {t.skipToContent}
        </a>
        <header>
          <div class="bar">
            <a class="brand" href="/admin">
              {t.product}
            </a>
            {items.length > 0 && (
              <nav aria-label={t.nav.label}>
                <ul>
                  {items
                    .filter(([, , , shown]) => shown)
                    .map(([key, href, label]) => (
                      <li>
                        <a href={href} aria-current={props.current === key ? 'page' : undefined}>
                          {label}
                        </a>
                      </li>
                    ))}
                </ul>
              </nav>
            )}
            <div class="who">
              {actor && page.header && (
                <a
                  href="/admin/notices"
                  id="notices-link"
                  aria-current={props.current === 'notices' ? 'page' : undefined}
                >
                  {g.nav.notices}{' '}
                  <span class="unread" id="unread-count" title={g.unread(page.header.unread)}>
                    {page.header.unread}
                  </span>
                </a>
              )}
              {actor && <span>{t.signedInAs(actor.email, t.roles[actor.role])}</span>}
              <a
                href={page.switchLanguageHref}
                lang={page.lang === 'ja' ? 'en' : 'ja'}
                hrefLang={page.lang === 'ja' ? 'en' : 'ja'}
              >
                {t.otherLanguage}
              </a>
              {actor && (
                <form method="post" action="/admin/logout">
                  <CsrfField page={page} />
                  <button type="submit">{t.signOut}</button>
                </form>
              )}
            </div>
          </div>
        </header>
        {page.header && <Banners page={page} header={page.header} />}
        <main id="main" tabIndex={-1}>
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** Maintenance before and during its window, and an open outage (governance.md, 5 and 6). */
function Banners(props: { page: PageContext; header: ConsoleHeader }): VNode | null {
  const g = GOVERNANCE_TEXTS[props.page.lang].banner;
  const { maintenance, outageSince } = props.header;
  if (maintenance.length === 0 && outageSince === null) return null;
  const minutes = (d: Date) => jstText(d).slice(0, 16);
  return (
    <div class="banners" id="banners">
      {outageSince && <Notice kind="error">{g.outage(minutes(outageSince))}</Notice>}
      {maintenance.map((w) => (
        <Notice kind="warn">
          {w.running ? g.running(minutes(w.endsAt)) : g.coming(minutes(w.startsAt), minutes(w.endsAt))}
        </Notice>
      ))}
    </div>
  );
}

export function CsrfField(props: { page: PageContext }): VNode {
  return <input type="hidden" name="_csrf" value={props.page.csrf} />;
}

/** A one-button form that asks first (lift a suspension, mark a payout paid, cancel a window). */
export function PostButton(props: {
  page: PageContext;
  action: string;
  confirm: string;
  label: string;
  hidden?: Record<string, string>;
  danger?: boolean;
}): VNode {
  return (
    <form method="post" action={props.action} data-confirm={props.confirm}>
      <CsrfField page={props.page} />
      {Object.entries(props.hidden ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class={props.danger ? 'danger' : 'secondary'}>
        {props.label}
      </button>
    </form>
  );
}

export function Notice(props: { kind?: 'ok' | 'warn' | 'error'; children: ComponentChildren }): VNode {
  return (
    <div class={`notice ${props.kind ?? ''}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

/** A secret (a new password, the hash key) shown this once, with the note that it will not be again. */
export function SecretOnce(props: {
  secret: { label: string; value: string } | null | undefined;
  note: string;
}) {
  if (!props.secret) return null;
  return (
    <section class="card" aria-labelledby="secret">
      <h2 id="secret">{props.secret.label}</h2>
      <p>
        <output class="secret" id="secret-value">
          {props.secret.value}
        </output>
      </p>
      <p class="note">{props.note}</p>
    </section>
  );
}

/** A horizontally scrollable table container that keyboard users can reach. */
export function Scroll(props: { label: string; children: ComponentChildren }): VNode {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable to scroll by keyboard
    <section class="scroll" aria-label={props.label} tabIndex={0}>
      {props.children}
    </section>
  );
}

/** A list as a table in its scroll region, or the sentence that says the list is empty. */
export function ListTable(props: {
  id: string;
  label: string;
  empty: string;
  head: ComponentChildren;
  rows: ComponentChildren[];
}): VNode {
  return props.rows.length === 0 ? (
    <p>{props.empty}</p>
  ) : (
    <Scroll label={props.label}>
      <table id={props.id}>
        <thead>
          <tr>{props.head}</tr>
        </thead>
        <tbody>{props.rows}</tbody>
      </table>
    </Scroll>
  );
}

export function renderPage(page: VNode): string {
  return `<!doctype html>${render(page)}`;
}
