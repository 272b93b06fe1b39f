import type { VNode } from 'preact';
import { jstText } from '../../admin/format';
import { CsrfField, Layout, Notice, type PageContext } from '../../admin/views/layout';
import { GOVERNANCE_TEXTS } from '../governance-i18n';
import type { OutageIncident } from '../outage';

/** Outage incidents (governance.md, 6), for operators: the record, and the cause to add. */
export function OutagesPage(props: {
  page: PageContext;
  incidents: OutageIncident[];
  message: { kind: 'ok' | 'error'; text: string } | null;
}): VNode {
  const { page } = props;
  const o = GOVERNANCE_TEXTS[page.lang].outages;
  return (
    <Layout page={page} title={o.title} current="outages">
      {props.message && <Notice kind={props.message.kind}>{props.message.text}</Notice>}
      <p class="note">{o.rule}</p>
      {props.incidents.length === 0 && <p>{o.none}</p>}
      {props.incidents.map((incident) => (
        <section class="card" data-incident={incident.id}>
          <h2>
            #{incident.id} {o.statuses[incident.status]}
          </h2>
          <dl class="fields">
            <dt>{o.opened}</dt>
            <dd>{jstText(incident.openedAt)}</dd>
            <dt>{o.detail}</dt>
            <dd>{incident.openedDetail}</dd>
            {incident.cause && (
              <>
                <dt>{o.cause}</dt>
                <dd>
                  {incident.cause[page.lang]} ({jstText(incident.causeAt)} {incident.causeBy})
                </dd>
              </>
            )}
            {incident.resolvedAt && (
              <>
                <dt>{o.resolved}</dt>
                <dd>{jstText(incident.resolvedAt)}</dd>
              </>
            )}
          </dl>
          {incident.status === 'OPEN' && (
            <form method="post" action={`/admin/outages/${incident.id}/cause`}>
              <CsrfField page={page} />
              <div class="field">
                <label for={`cause-ja-${incident.id}`}>{o.causeJa}</label>
                <textarea id={`cause-ja-${incident.id}`} name="cause_ja" lang="ja" />
              </div>
              <div class="field">
                <label for={`cause-en-${incident.id}`}>{o.causeEn}</label>
                <textarea id={`cause-en-${incident.id}`} name="cause_en" lang="en" />
              </div>
              <button type="submit">{o.addCause}</button>
            </form>
          )}
        </section>
      ))}
    </Layout>
  );
}
