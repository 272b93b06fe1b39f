import type { VNode } from 'preact';
import type { ServiceWithMerchant } from '../../merchants/merchant.repository';
import type { ServiceKey } from '../merchant-list';
import { maskedSecret, SERVICE_ENCODINGS } from '../settings.service';
import { ServiceCategoriesCard } from './case-pages';
import { CsrfField, Layout, Notice, type PageContext, SecretOnce } from './layout';

export interface SettingsForm {
  displayName: string;
  urlHosts: string;
  encoding: string;
}

export interface SettingsPageProps {
  page: PageContext;
  services: Array<ServiceKey & { displayName: string }>;
  selected: ServiceWithMerchant | null;
  canWrite: boolean;
  form: SettingsForm | null;
  notices: Array<{ kind: 'ok' | 'warn' | 'error'; text: string }>;
  /** A secret shown once in this response (revealed or newly generated). */
  secret: { label: string; value: string } | null;
  /** The selected service's product categories and which of them are prohibited (governance.md, 4). */
  categories: { declared: string[]; prohibited: string[]; typed: string | null } | null;
}

export function serviceKeyText(key: ServiceKey): string {
  return `${key.merchantId}/${key.serviceId}`;
}

function ReauthField(props: { page: PageContext; id: string }): VNode {
  return (
    <div class="field">
      <label for={props.id}>{props.page.t.settings.reauth}</label>
      <input
        id={props.id}
        name="password"
        type="password"
        autoComplete="current-password"
        required
        maxLength={1024}
      />
    </div>
  );
}

export function SettingsPage(props: SettingsPageProps): VNode {
  const { page, selected } = props;
  const s = page.t.settings;
  const key = selected
    ? serviceKeyText({ merchantId: selected.service.merchant_id, serviceId: selected.service.service_id })
    : '';
  const form: SettingsForm = props.form ?? {
    displayName: selected?.service.display_name ?? '',
    urlHosts: selected?.urlHosts.join('\n') ?? '',
    encoding: selected?.service.encoding ?? '',
  };
  return (
    <Layout page={page} title={s.title} current="settings">
      {props.notices.map((n) => (
        <Notice kind={n.kind}>{n.text}</Notice>
      ))}
      <SecretOnce secret={props.secret} note={s.shownOnce} />
      {props.services.length === 0 || !selected ? (
        <p>{s.noService}</p>
      ) : (
        <>
          {props.services.length > 1 && (
            <form method="get" action="/admin/settings" class="actions card">
              <label for="service-pick">{s.choose}</label>
              <select id="service-pick" name="service">
                {props.services.map((svc) => (
                  <option value={serviceKeyText(svc)} selected={serviceKeyText(svc) === key}>
                    {`${serviceKeyText(svc)} ${svc.displayName}`}
                  </option>
                ))}
              </select>
              <button type="submit" class="secondary">
                {s.open}
              </button>
            </form>
          )}
          {!props.canWrite && <p class="note">{s.readOnly}</p>}

          <section class="card" aria-labelledby="general">
            <h2 id="general">{`${s.general} — ${key}`}</h2>
            {props.canWrite ? (
              <form method="post" action="/admin/settings/general" data-confirm-changed={s.encodingConfirm}>
                <CsrfField page={page} />
                <input type="hidden" name="service" value={key} />
                <div class="field">
                  <label for="display_name">{s.displayName}</label>
                  <input
                    id="display_name"
                    name="display_name"
                    value={form.displayName}
                    required
                    maxLength={64}
                  />
                </div>
                <div class="field">
                  <label for="url_hosts">{s.urlHosts}</label>
                  <textarea
                    id="url_hosts"
                    name="url_hosts"
                    aria-describedby="url_hosts_hint"
                    value={form.urlHosts}
                  />
                  <span id="url_hosts_hint" class="note">
                    {s.urlHostsHint}
                  </span>
                </div>
                <fieldset aria-describedby="encoding_warning">
                  <legend>{s.encoding}</legend>
                  {SERVICE_ENCODINGS.map((e) => (
                    <label>
                      <input
                        type="radio"
                        name="encoding"
                        value={e}
                        checked={form.encoding === e}
                        data-initial={selected.service.encoding === e ? 'checked' : ''}
                      />
                      {e}
                    </label>
                  ))}
                  <p id="encoding_warning" class="notice warn">
                    {s.encodingWarning}
                  </p>
                </fieldset>
                <button type="submit">{s.save}</button>
              </form>
            ) : (
              <dl class="fields">
                <dt>{s.displayName}</dt>
                <dd>{selected.service.display_name}</dd>
                <dt>{s.urlHosts}</dt>
                <dd>
                  {selected.urlHosts.map((h) => (
                    <div>{h}</div>
                  ))}
                </dd>
                <dt>{s.encoding}</dt>
                <dd>
                  {selected.service.encoding}
                  <p class="note">{s.encodingWarning}</p>
                </dd>
              </dl>
            )}
          </section>

          <section class="card" aria-labelledby="hash-key">
            <h2 id="hash-key">{s.hashKey}</h2>
            <p>
              <span class="secret">{maskedSecret(selected.service.hash_key)}</span>{' '}
              <span class="note">{s.hashKeyMasked}</span>
            </p>
            {props.canWrite && (
              <form method="post" action="/admin/settings/hash-key">
                <CsrfField page={page} />
                <input type="hidden" name="service" value={key} />
                <ReauthField page={page} id="hash-key-password" />
                <div class="actions">
                  <button type="submit" name="op" value="reveal" id="reveal-hash-key" class="secondary">
                    {s.reveal}
                  </button>
                  <button
                    type="submit"
                    name="op"
                    value="rotate"
                    id="rotate-hash-key"
                    class="danger"
                    data-confirm={s.rotateConfirm}
                  >
                    {s.rotate}
                  </button>
                </div>
              </form>
            )}
          </section>

          <section class="card" aria-labelledby="api-password">
            <h2 id="api-password">{s.apiPassword}</h2>
            <p>{selected.service.api_password_digest ? s.apiPasswordSet : s.apiPasswordUnset}</p>
            {selected.service.api_password_is_hash_key === 1 && <p class="note">{s.apiPasswordIsHashKey}</p>}
            {props.canWrite && (
              <form method="post" action="/admin/settings/api-password" data-confirm={s.resetConfirm}>
                <CsrfField page={page} />
                <input type="hidden" name="service" value={key} />
                <ReauthField page={page} id="api-password-password" />
                <button type="submit" id="reset-api-password" class="danger">
                  {s.resetApiPassword}
                </button>
              </form>
            )}
          </section>

          {props.categories && (
            <ServiceCategoriesCard
              page={page}
              service={key}
              canWrite={props.canWrite}
              {...props.categories}
            />
          )}
        </>
      )}
    </Layout>
  );
}
