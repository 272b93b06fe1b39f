import type { VNode } from 'preact';
import { Layout, type PageContext } from './layout';

/** A page that only says something: not allowed, not found, system error — with the request id. */
export function MessagePage(props: {
  page: PageContext;
  title: string;
  message: string;
  requestId: string;
}): VNode {
  return (
    <Layout page={props.page} title={props.title}>
      <p>{props.message}</p>
      <p class="note">{props.page.t.errors.requestId(props.requestId)}</p>
      {props.page.actor && (
        <p>
          <a href="/admin">{props.page.t.nav.dashboard}</a>
        </p>
      )}
    </Layout>
  );
}
