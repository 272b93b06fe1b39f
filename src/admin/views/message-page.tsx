import type { VNode } from 'preact';
import { Layout, type PageContext } from './layout';

/** A page that only says something: not allowed, not found, system error. */
export function MessagePage(props: { page: PageContext; title: string; message: string }): VNode {
  return (
    <Layout page={props.page} title={props.title}>
      <p>{props.message}</p>
      {props.page.actor && (
        <p>
          <a href="/admin">{props.page.t.nav.dashboard}</a>
        </p>
      )}
    </Layout>
  );
}
