import type { VNode } from 'preact';
import { jstText } from '../../admin/format';
import { CsrfField, Layout, Notice, type PageContext, PostButton, Scroll } from '../../admin/views/layout';
import { GOVERNANCE_TEXTS } from '../governance-i18n';
import { MAINTENANCE_SCOPES, type MaintenanceWindow } from '../maintenance';

export interface MaintenanceForm {
  startsAt: string;
  endsAt: string;
  scope: string;
  services: string;
  textJa: string;
  textEn: string;
  emergency: boolean;
  reason: string;
}

export const EMPTY_MAINTENANCE_FORM: MaintenanceForm = {
  startsAt: '',
  endsAt: '',
  scope: 'GATEWAY',
  services: '',
  textJa: '',
  textEn: '',
  emergency: false,
  reason: '',
};

/**
 * Maintenance windows (governance.md, 5): everyone sees those that concern them; operators also
 * schedule, cancel, and see every window.
 */
export function MaintenancePage(props: {
  page: PageContext;
  now: Date;
  coming: MaintenanceWindow[];
  /** Operators only: every window, and the form. */
  all: MaintenanceWindow[] | null;
  form: MaintenanceForm;
  message: { kind: 'ok' | 'error'; text: string } | null;
}): VNode {
  const { page, now } = props;
  const m = GOVERNANCE_TEXTS[page.lang].maintenance;
  const minutes = (d: Date) => jstText(d).slice(0, 16);
  const stateOf = (w: MaintenanceWindow) =>
    w.cancelledAt !== null
      ? m.states.cancelled
      : w.endsAt <= now
        ? m.states.over
        : w.startsAt <= now
          ? m.states.running
          : m.states.coming;
  const table = (id: string, rows: MaintenanceWindow[], actions: boolean) => (
    <Scroll label={m.title}>
      <table id={id}>
        <thead>
          <tr>
            <th scope="col">{m.start}</th>
            <th scope="col">{m.end}</th>
            <th scope="col">{m.scope}</th>
            <th scope="col">{m.state}</th>
            <th scope="col" class="wrap">
              {page.lang === 'ja' ? m.textJa : m.textEn}
            </th>
            {actions && <th scope="col">{m.announced}</th>}
            {actions && <th scope="col" />}
          </tr>
        </thead>
        <tbody>
          {rows.map((w) => (
            <tr data-window={w.id}>
              <td>{minutes(w.startsAt)}</td>
              <td>{minutes(w.endsAt)}</td>
              <td>
                {m.scopes[w.scope]}
                {w.scope === 'SERVICES' && ` (${w.services.join(', ')})`}
              </td>
              <td>
                {stateOf(w)}
                {w.emergency && ` · ${m.emergencyTag}`}
              </td>
              <td class="wrap">
                {w.text[page.lang]}
                {w.emergencyReason && <div class="note">{w.emergencyReason}</div>}
              </td>
              {actions && (
                <td>
                  {minutes(w.announcedAt)} {w.announcedBy}
                </td>
              )}
              {actions && (
                <td>
                  {w.cancelledAt === null && w.endsAt > now && (
                    <PostButton
                      page={page}
                      action={`/admin/maintenance/${w.id}/cancel`}
                      confirm={m.cancelConfirm}
                      label={m.cancel}
                      danger
                    />
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
  const f = props.form;
  return (
    <Layout page={page} title={m.title} current="maintenance">
      {props.message && <Notice kind={props.message.kind}>{props.message.text}</Notice>}
      <h2>{m.coming}</h2>
      {props.coming.length === 0 ? <p>{m.none}</p> : table('coming-maintenance', props.coming, false)}
      {props.all && (
        <>
          <h2>{m.newWindow}</h2>
          <form method="post" action="/admin/maintenance" class="card" id="maintenance-form">
            <CsrfField page={page} />
            <p class="note">{m.rule}</p>
            <div class="grid">
              <div class="field">
                <label for="starts_at">{m.start}</label>
                <input id="starts_at" name="starts_at" type="datetime-local" value={f.startsAt} required />
              </div>
              <div class="field">
                <label for="ends_at">{m.end}</label>
                <input id="ends_at" name="ends_at" type="datetime-local" value={f.endsAt} required />
              </div>
            </div>
            <fieldset>
              <legend>{m.scope}</legend>
              {MAINTENANCE_SCOPES.map((s) => (
                <label>
                  <input type="radio" name="scope" value={s} checked={f.scope === s} /> {m.scopes[s]}
                </label>
              ))}
            </fieldset>
            <div class="field">
              <label for="services">{m.services}</label>
              <textarea id="services" name="services">
                {f.services}
              </textarea>
            </div>
            <div class="field">
              <label for="text_ja">{m.textJa}</label>
              <textarea id="text_ja" name="text_ja" lang="ja">
                {f.textJa}
              </textarea>
            </div>
            <div class="field">
              <label for="text_en">{m.textEn}</label>
              <textarea id="text_en" name="text_en" lang="en">
                {f.textEn}
              </textarea>
            </div>
            <fieldset>
              <label>
                <input type="checkbox" name="emergency" value="1" checked={f.emergency} /> {m.emergency}
              </label>
            </fieldset>
            <div class="field">
              <label for="reason">{m.reason}</label>
              <input id="reason" name="reason" value={f.reason} />
            </div>
            <button type="submit">{m.schedule}</button>
          </form>
          <h2>{m.history}</h2>
          {props.all.length === 0 ? <p>{m.none}</p> : table('all-maintenance', props.all, true)}
        </>
      )}
    </Layout>
  );
}
