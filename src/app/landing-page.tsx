import { render } from 'preact-render-to-string';

/**
 * The page at `/` of the gateway and of the sandbox: what this listener is and links to what it
 * serves, instead of a bare JSON 404 for someone who opens the address printed at start.
 */
export interface LandingLink {
  href: string;
  label: string;
  note: string;
  /** A POST endpoint: shown as text, as opening it in a browser does nothing useful. */
  endpoint?: boolean;
}

const CSS = `*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#1b1d21;font:16px/1.6 system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans JP",sans-serif}
main{max-width:44rem;margin:0 auto;padding:2rem 1rem}
h1{font-size:1.4rem;margin:0 0 .25rem}
p.lead{color:#50555e;margin:0 0 1.25rem}
ul{list-style:none;margin:0;padding:0;background:#fff;border:1px solid #d5d8de;border-radius:.5rem}
li{padding:.75rem 1rem;border-top:1px solid #e6e8ec}
li:first-child{border-top:0}
a{color:#0a58ca;font-weight:600}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9rem;font-weight:600}
.note{display:block;color:#50555e;font-size:.9rem}`;

export function renderLandingPage(props: {
  title: string;
  lead: string;
  links: readonly LandingLink[];
}): string {
  return `<!doctype html>${render(
    <html lang="en">
      <head>
        <meta charSet="UTF-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title}</title>
        <style dangerouslySetInnerHTML={{ __html: CSS }} />
      </head>
      <body>
        <main>
          <h1>{props.title}</h1>
          <p class="lead">{props.lead}</p>
          <ul>
            {props.links.map((link) => (
              <li>
                {link.endpoint ? <code>{link.href}</code> : <a href={link.href}>{link.label}</a>}
                <span class="note">{link.endpoint ? `${link.label}: ${link.note}` : link.note}</span>
              </li>
            ))}
          </ul>
        </main>
      </body>
    </html>,
  )}`;
}
