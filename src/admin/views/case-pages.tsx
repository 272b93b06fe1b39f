import type { ComponentChildren, VNode } from 'preact';
import type { FraudInvestigation } from '../../governance/fraud';
import type { KycCase } from '../../governance/kyc';
import type { ProhibitedCategory } from '../../governance/prohibited';
import type { RefundStop } from '../../refunds/refund-stop.repository';
import { CASE_TEXTS, type CaseTexts } from '../case-i18n';
import { jstText } from '../format';
import { can } from '../permissions';
import { CsrfField, Layout, ListTable, Notice, type PageContext, PostButton, Scroll } from './layout';

/**
 * The governance screens (governance.md, 2-4): KYC cases with the refund stop, fraud
 * investigations, prohibited categories. Operators see every merchant and act; a merchant's
 * people see their own merchant's, and its admins answer.
 */
export type PageNotice = { kind: 'ok' | 'warn' | 'error'; text: string };
type Tab = 'kyc' | 'investigations' | 'prohibited';

export function caseTexts(page: PageContext): CaseTexts {
  return CASE_TEXTS[page.lang];
}

function Shell(props: {
  page: PageContext;
  title: string;
  tab: Tab;
  notices: PageNotice[];
  children: ComponentChildren;
}) {
  const g = caseTexts(props.page);
  const tabs: Array<[Tab, string, string]> = [
    ['kyc', '/admin/kyc', g.kyc.title],
    ['investigations', '/admin/investigations', g.fraud.title],
    ['prohibited', '/admin/prohibited', g.prohibited.title],
  ];
  return (
    <Layout page={props.page} title={props.title} current="cases">
      <ul class="tabs" aria-label={g.tabs}>
        {tabs.map(([key, href, label]) => (
          <li>
            <a href={href} aria-current={props.tab === key ? 'page' : undefined}>
              {label}
            </a>
          </li>
        ))}
      </ul>
      {props.notices.map((n) => (
        <Notice kind={n.kind}>{n.text}</Notice>
      ))}
      {props.children}
    </Layout>
  );
}

function TextArea(props: { id: string; name: string; label: string; value?: string }): VNode {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <textarea id={props.id} name={props.name} required maxLength={2000} rows={3}>
        {props.value ?? ''}
      </textarea>
    </div>
  );
}

function Input(props: {
  id: string;
  name: string;
  label: string;
  type?: string;
  value?: string;
  required?: boolean;
}): VNode {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.name}
        type={props.type ?? 'text'}
        required={props.required ?? true}
        maxLength={200}
        value={props.value ?? ''}
      />
    </div>
  );
}

function suspensionText(g: CaseTexts, c: KycCase): string {
  if (c.suspended_from === null) return '';
  const until = c.suspended_until === null ? g.kyc.untilFurtherNotice : jstText(Number(c.suspended_until));
  return `${jstText(Number(c.suspended_from))} – ${until}`;
}

/** A suspension whose end has passed reads "ended", not "suspended". */
function kycStatusLabel(g: CaseTexts, c: KycCase, now: Date): string {
  if (c.status === 'SUSPENDED' && c.suspended_until !== null && Number(c.suspended_until) <= now.getTime()) {
    return g.kyc.suspensionEnded;
  }
  return g.kyc.statuses[c.status] ?? c.status;
}

export type GovernanceForm = Record<string, string>;

/** One row of a case list: KYC cases and fraud investigations share the table. */
interface CaseRow {
  id: string;
  href: string;
  merchantId: string;
  /** The raw status code, for the badge's CSS class (labels are translated). */
  statusCode: string;
  status: string;
  dueDate: string;
  /** The KYC suspension period ('' for investigations). */
  extra: string;
  openedAt: number;
}

function CaseTable(props: {
  g: CaseTexts;
  id: string;
  label: string;
  empty: string;
  rows: CaseRow[];
  extra?: string;
}) {
  const { g } = props;
  return (
    <ListTable
      id={props.id}
      label={props.label}
      empty={props.empty}
      head={
        <>
          <th scope="col">ID</th>
          <th scope="col">{g.kyc.merchant}</th>
          <th scope="col">{g.kyc.status}</th>
          <th scope="col">{g.kyc.dueDate}</th>
          {props.extra !== undefined && <th scope="col">{props.extra}</th>}
          <th scope="col">{g.kyc.openedAt}</th>
        </>
      }
      rows={props.rows.map((r) => (
        <tr>
          <td>
            <a href={r.href}>{r.id}</a>
          </td>
          <td>{r.merchantId}</td>
          <td>
            <span class={`badge ${r.statusCode}`}>{r.status}</span>
          </td>
          <td>{r.dueDate}</td>
          {props.extra !== undefined && <td>{r.extra}</td>}
          <td>{jstText(r.openedAt)}</td>
        </tr>
      ))}
    />
  );
}

/** A card with a heading and one form, posted with the session's CSRF token; `intro` stands between them. */
function CardForm(props: {
  page: PageContext;
  headingId: string;
  title: string;
  action: string;
  confirm?: string | undefined;
  intro?: ComponentChildren;
  children: ComponentChildren;
}): VNode {
  return (
    <section class="card" aria-labelledby={props.headingId}>
      <h2 id={props.headingId}>{props.title}</h2>
      {props.intro}
      <form method="post" action={props.action} data-confirm={props.confirm}>
        <CsrfField page={props.page} />
        {props.children}
      </form>
    </section>
  );
}

/** A form field: a one-line input (of a type), or a text area. */
type FieldSpec = { id: string; name: string; label: string; type?: 'text' | 'date' | 'textarea' };

/** An operator's form that starts something (a case, an investigation, a stop, a listing). */
function ActionForm(props: {
  page: PageContext;
  headingId: string;
  title: string;
  action: string;
  fields: FieldSpec[];
  form: GovernanceForm;
  submit: string;
  confirm?: string;
  hidden?: Record<string, string>;
  danger?: boolean;
  children?: ComponentChildren;
}): VNode {
  return (
    <CardForm
      page={props.page}
      headingId={props.headingId}
      title={props.title}
      action={props.action}
      confirm={props.confirm}
      intro={props.children}
    >
      {Object.entries(props.hidden ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      {props.fields.map((f) =>
        f.type === 'textarea' ? (
          <TextArea id={f.id} name={f.name} label={f.label} value={props.form[f.name]} />
        ) : (
          <Input id={f.id} name={f.name} type={f.type} label={f.label} value={props.form[f.name]} />
        ),
      )}
      <button type="submit" class={props.danger ? 'danger' : undefined}>
        {props.submit}
      </button>
    </CardForm>
  );
}

export function KycListPage(props: {
  page: PageContext;
  cases: KycCase[];
  stops: RefundStop[];
  now: Date;
  notices: PageNotice[];
  form: GovernanceForm;
}): VNode {
  const { page } = props;
  const g = caseTexts(page);
  const manage = page.actor !== null && can(page.actor, 'governance.manage');
  const rows = props.cases.map((c) => ({
    id: c.case_id,
    href: `/admin/kyc/${c.case_id}`,
    merchantId: c.merchant_id,
    statusCode: c.status,
    status: kycStatusLabel(g, c, props.now),
    dueDate: c.due_date,
    extra: suspensionText(g, c),
    openedAt: Number(c.opened_at),
  }));
  return (
    <Shell page={page} title={g.kyc.title} tab="kyc" notices={props.notices}>
      {!manage &&
        props.stops.map((s) => (
          <Notice kind="error">
            <span id="refund-stop">{g.refundStop.stoppedBanner(s.reason)}</span>
          </Notice>
        ))}
      <CaseTable
        g={g}
        id="kyc-cases"
        label={g.kyc.title}
        empty={g.kyc.none}
        rows={rows}
        extra={g.kyc.suspension}
      />
      {manage && (
        <>
          <ActionForm
            page={page}
            headingId="open-kyc"
            title={g.kyc.open}
            action="/admin/kyc"
            form={props.form}
            submit={g.kyc.openSubmit}
            fields={[
              { id: 'kyc-merchant', name: 'merchant', label: g.kyc.merchant },
              { id: 'kyc-reason', name: 'reason', label: g.kyc.reason, type: 'textarea' },
              { id: 'kyc-info', name: 'information', label: g.kyc.informationRequested, type: 'textarea' },
              { id: 'kyc-due', name: 'due_date', label: g.kyc.dueDate, type: 'date' },
            ]}
          />
          <ActionForm
            page={page}
            headingId="refund-stops"
            title={g.refundStop.title}
            action="/admin/refund-stops"
            form={{ merchant: props.form.stop_merchant ?? '', reason: props.form.stop_reason ?? '' }}
            submit={g.refundStop.stop}
            confirm={g.refundStop.stopConfirm}
            hidden={{ op: 'stop' }}
            danger
            fields={[
              { id: 'stop-merchant', name: 'merchant', label: g.kyc.merchant },
              { id: 'stop-reason', name: 'reason', label: g.refundStop.reason, type: 'textarea' },
            ]}
          >
            {props.stops.length === 0 ? (
              <p>{g.refundStop.none}</p>
            ) : (
              <table id="refund-stop-list">
                <tbody>
                  {props.stops.map((s) => (
                    <tr>
                      <td>{s.merchant_id}</td>
                      <td class="wrap">{s.reason}</td>
                      <td>{jstText(Number(s.stopped_at))}</td>
                      <td>
                        <PostButton
                          page={page}
                          action="/admin/refund-stops"
                          confirm={g.refundStop.resumeConfirm}
                          hidden={{ merchant: s.merchant_id, op: 'resume' }}
                          label={g.refundStop.resume}
                        />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </ActionForm>
        </>
      )}
    </Shell>
  );
}

function AnswerForm(props: { page: PageContext; action: string; current: string | null }): VNode {
  const g = caseTexts(props.page);
  return (
    <CardForm page={props.page} headingId="answer" title={g.kyc.answerTitle} action={props.action}>
      <TextArea id="answer-text" name="answer" label={g.answer} value={props.current ?? ''} />
      <button type="submit">{g.kyc.answerSubmit}</button>
    </CardForm>
  );
}

function Answer(props: { g: CaseTexts; answer: string | null; by: string | null; at: number | null }) {
  const { g } = props;
  return props.answer === null ? (
    <p>{g.kyc.noAnswer}</p>
  ) : (
    <>
      <p id="answer-text-shown" class="wrap">
        {props.answer}
      </p>
      <p class="note">
        {g.kyc.answeredBy(props.by ?? '', jstText(props.at === null ? null : Number(props.at)))}
      </p>
    </>
  );
}

export function KycCasePage(props: {
  page: PageContext;
  kycCase: KycCase;
  /** A suspension (of this case or another) refuses the merchant's purchases now. */
  merchantSuspended: boolean;
  /** This case's suspension is in effect or not yet begun: the operator may lift (or cancel) it. */
  liftable: boolean;
  now: Date;
  notices: PageNotice[];
  form: GovernanceForm;
}): VNode {
  const { page, kycCase: c } = props;
  const g = caseTexts(page);
  const actor = page.actor;
  const undecided = c.status === 'OPEN' || c.status === 'ANSWERED';
  const base = `/admin/kyc/${c.case_id}`;
  return (
    <Shell page={page} title={g.kyc.caseTitle(c.case_id)} tab="kyc" notices={props.notices}>
      {props.merchantSuspended && <Notice kind="error">{g.kyc.suspensionInEffect}</Notice>}
      <section class="card">
        <dl class="fields">
          <dt>{g.kyc.merchant}</dt>
          <dd>{c.merchant_id}</dd>
          <dt>{g.kyc.status}</dt>
          <dd id="kyc-status">{kycStatusLabel(g, c, props.now)}</dd>
          <dt>{g.kyc.reason}</dt>
          <dd class="wrap">{c.reason}</dd>
          <dt>{g.kyc.informationRequested}</dt>
          <dd class="wrap">{c.information_requested}</dd>
          <dt>{g.kyc.dueDate}</dt>
          <dd>{c.due_date}</dd>
          <dt>{g.kyc.openedAt}</dt>
          <dd>{jstText(Number(c.opened_at))}</dd>
          {c.outcome_note !== null && (
            <>
              <dt>{g.kyc.outcome}</dt>
              <dd class="wrap">{c.outcome_note}</dd>
            </>
          )}
          {c.suspended_from !== null && (
            <>
              <dt>{g.kyc.suspension}</dt>
              <dd id="kyc-suspension">{suspensionText(g, c)}</dd>
            </>
          )}
        </dl>
        <h2>{g.kyc.answer}</h2>
        <Answer g={g} answer={c.answer} by={c.answered_by} at={c.answered_at} />
      </section>
      {undecided && actor && can(actor, 'governance.answer') && (
        <AnswerForm page={page} action={`${base}/answer`} current={c.answer} />
      )}
      {undecided && actor && can(actor, 'governance.manage') && (
        <CardForm
          page={page}
          headingId="decide"
          title={g.kyc.decideTitle}
          action={`${base}/decide`}
          confirm={g.kyc.decideConfirm}
        >
          <fieldset>
            <legend>{g.kyc.outcome}</legend>
            <label>
              <input
                type="radio"
                name="outcome"
                value="CLEARED"
                checked={props.form.outcome !== 'SUSPENDED'}
              />{' '}
              {g.kyc.cleared}
            </label>
            <label>
              <input
                type="radio"
                name="outcome"
                value="SUSPENDED"
                checked={props.form.outcome === 'SUSPENDED'}
              />{' '}
              {g.kyc.suspended}
            </label>
          </fieldset>
          <TextArea id="decide-note" name="note" label={g.kyc.outcome} value={props.form.note} />
          {(
            [
              ['from', g.kyc.suspendFrom],
              ['until', g.kyc.suspendUntil],
            ] as const
          ).map(([name, label]) => (
            <Input
              id={`suspend-${name}`}
              name={name}
              type="datetime-local"
              label={label}
              value={props.form[name]}
              required={false}
            />
          ))}
          <button type="submit" id="decide-submit">
            {g.kyc.decideSubmit}
          </button>
        </CardForm>
      )}
      {props.liftable && actor && can(actor, 'governance.manage') && (
        // A suspension not yet begun is cancelled, not lifted: the label says which.
        <PostButton
          page={page}
          action={`${base}/lift`}
          {...((c.suspended_from ?? 0) > props.now.getTime()
            ? { confirm: g.kyc.cancelScheduledConfirm, label: g.kyc.cancelScheduled }
            : { confirm: g.kyc.liftConfirm, label: g.kyc.lift })}
        />
      )}
    </Shell>
  );
}

export function InvestigationListPage(props: {
  page: PageContext;
  investigations: FraudInvestigation[];
  notices: PageNotice[];
  form: GovernanceForm;
}): VNode {
  const { page } = props;
  const g = caseTexts(page);
  const manage = page.actor !== null && can(page.actor, 'governance.manage');
  const rows = props.investigations.map((i) => ({
    id: i.investigation_id,
    href: `/admin/investigations/${i.investigation_id}`,
    merchantId: i.merchant_id,
    statusCode: i.status,
    status: g.fraud.statuses[i.status] ?? i.status,
    dueDate: i.due_date,
    extra: '',
    openedAt: Number(i.opened_at),
  }));
  return (
    <Shell page={page} title={g.fraud.title} tab="investigations" notices={props.notices}>
      <CaseTable g={g} id="investigations" label={g.fraud.title} empty={g.fraud.none} rows={rows} />
      {manage && (
        <ActionForm
          page={page}
          headingId="open-fraud"
          title={g.fraud.open}
          action="/admin/investigations"
          form={props.form}
          submit={g.fraud.openSubmit}
          fields={[
            { id: 'fraud-merchant', name: 'merchant', label: g.kyc.merchant },
            { id: 'fraud-tracking', name: 'tracking_ids', label: g.fraud.trackingIds, type: 'textarea' },
            { id: 'fraud-allegation', name: 'allegation', label: g.fraud.allegation, type: 'textarea' },
            { id: 'fraud-requested', name: 'requested', label: g.fraud.requested, type: 'textarea' },
            { id: 'fraud-due', name: 'due_date', label: g.kyc.dueDate, type: 'date' },
          ]}
        />
      )}
    </Shell>
  );
}

export function InvestigationPage(props: {
  page: PageContext;
  investigation: FraudInvestigation;
  trackingIds: string[];
  notices: PageNotice[];
}): VNode {
  const { page, investigation: i } = props;
  const g = caseTexts(page);
  const actor = page.actor;
  const open = i.status !== 'CLOSED';
  const base = `/admin/investigations/${i.investigation_id}`;
  return (
    <Shell
      page={page}
      title={g.fraud.caseTitle(i.investigation_id)}
      tab="investigations"
      notices={props.notices}
    >
      <section class="card">
        <dl class="fields">
          <dt>{g.kyc.merchant}</dt>
          <dd>{i.merchant_id}</dd>
          <dt>{g.kyc.status}</dt>
          <dd id="fraud-status">{g.fraud.statuses[i.status] ?? i.status}</dd>
          <dt>{g.fraud.payments}</dt>
          <dd>
            <ul id="fraud-payments">
              {props.trackingIds.map((id) => (
                <li>
                  <a href={`/admin/payments/${id}`}>{id}</a>
                </li>
              ))}
            </ul>
          </dd>
          <dt>{g.fraud.allegation}</dt>
          <dd class="wrap">{i.allegation}</dd>
          <dt>{g.fraud.requested}</dt>
          <dd class="wrap">{i.requested}</dd>
          <dt>{g.kyc.dueDate}</dt>
          <dd>{i.due_date}</dd>
          {i.outcome !== null && (
            <>
              <dt>{g.fraud.outcome}</dt>
              <dd class="wrap">{i.outcome}</dd>
            </>
          )}
        </dl>
        <p class="note">{g.fraud.refundsStillPossible}</p>
        <h2>{g.kyc.answer}</h2>
        <Answer g={g} answer={i.answer} by={i.answered_by} at={i.answered_at} />
      </section>
      {open && actor && can(actor, 'governance.answer') && (
        <AnswerForm page={page} action={`${base}/answer`} current={i.answer} />
      )}
      {open && actor && can(actor, 'governance.manage') && (
        <CardForm
          page={page}
          headingId="close"
          title={g.fraud.closeTitle}
          action={`${base}/close`}
          confirm={g.fraud.closeConfirm}
        >
          <TextArea id="fraud-outcome" name="outcome" label={g.fraud.outcome} />
          <button type="submit">{g.fraud.closeSubmit}</button>
        </CardForm>
      )}
    </Shell>
  );
}

export function ProhibitedPage(props: {
  page: PageContext;
  categories: ProhibitedCategory[];
  affected: Array<{ merchantId: string; serviceId: string; category: string; effectiveAt: number }>;
  now: Date;
  notices: PageNotice[];
  form: GovernanceForm;
}): VNode {
  const { page } = props;
  const g = caseTexts(page);
  const p = g.prohibited;
  const manage = page.actor !== null && can(page.actor, 'governance.manage');
  return (
    <Shell page={page} title={p.title} tab="prohibited" notices={props.notices}>
      <p>{p.intro}</p>
      {props.categories.length === 0 ? (
        <p>{p.none}</p>
      ) : (
        <Scroll label={p.title}>
          <table id="prohibited">
            <thead>
              <tr>
                <th scope="col">{p.category}</th>
                <th scope="col">{p.effectiveFrom}</th>
                <th scope="col">{p.note}</th>
                {manage && <th scope="col">{g.actions}</th>}
              </tr>
            </thead>
            <tbody>
              {props.categories.map((c) => (
                <tr>
                  <td>{c.category}</td>
                  <td>{c.effective_from}</td>
                  <td class="wrap">{c.note}</td>
                  {manage && (
                    <td>
                      <PostButton
                        page={page}
                        action={`/admin/prohibited/${encodeURIComponent(c.category)}/remove`}
                        confirm={p.removeConfirm}
                        label={p.remove}
                      />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
      <section class="card" aria-labelledby="affected">
        <h2 id="affected">{p.affected}</h2>
        {props.affected.length === 0 ? (
          <p>{p.affectedNone}</p>
        ) : (
          <table id="affected-services">
            <tbody>
              {props.affected.map((a) => (
                <tr>
                  <td>
                    <a
                      href={`/admin/settings?service=${encodeURIComponent(`${a.merchantId}/${a.serviceId}`)}`}
                    >
                      {`${a.merchantId}/${a.serviceId}`}
                    </a>
                  </td>
                  <td>{a.category}</td>
                  <td>
                    {a.effectiveAt <= props.now.getTime() ? p.inEffect : p.fromDate(jstText(a.effectiveAt))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {manage && (
        <ActionForm
          page={page}
          headingId="add-prohibited"
          title={p.add}
          action="/admin/prohibited"
          form={props.form}
          submit={p.addSubmit}
          confirm={p.addConfirm}
          fields={[
            { id: 'prohibited-category', name: 'category', label: p.category },
            { id: 'prohibited-from', name: 'effective_from', label: p.effectiveFrom, type: 'date' },
            { id: 'prohibited-note', name: 'note', label: p.note, type: 'textarea' },
          ]}
        />
      )}
    </Shell>
  );
}

/** The fraud flag of a payment, with links to its investigations (search results, billing screen). */
export function InvestigationFlag(props: {
  page: PageContext;
  investigations: ReadonlyArray<{ investigationId: string; status: string }> | undefined;
}): VNode | null {
  if (!props.investigations || props.investigations.length === 0) return null;
  const g = caseTexts(props.page);
  return (
    <span class="fraud-flag">
      {props.investigations.map((i) => (
        <a
          class="badge FAILED"
          href={`/admin/investigations/${i.investigationId}`}
          title={g.fraud.flagLabel(i.investigationId)}
        >
          {`⚑ ${g.fraud.flag}: ${g.fraud.statuses[i.status] ?? i.status}`}
        </a>
      ))}
    </span>
  );
}

/** A service's declared product categories, on its settings page (governance.md, 4). */
export function ServiceCategoriesCard(props: {
  page: PageContext;
  service: string;
  canWrite: boolean;
  declared: string[];
  prohibited: string[];
  /** What was typed before a refusal, shown again. */
  typed: string | null;
}): VNode {
  const c = caseTexts(props.page).categories;
  return (
    <section class="card" aria-labelledby="categories">
      <h2 id="categories">{c.title}</h2>
      {props.prohibited.length > 0 && (
        <Notice kind="error">
          <span id="prohibited-warning">{c.prohibitedWarning(props.prohibited.join(', '))}</span>
        </Notice>
      )}
      <p class="note">{c.help}</p>
      {props.canWrite ? (
        <form method="post" action="/admin/settings/categories">
          <CsrfField page={props.page} />
          <input type="hidden" name="service" value={props.service} />
          <div class="field">
            <label for="service-categories">{c.label}</label>
            <textarea id="service-categories" name="categories" maxLength={2000} rows={2}>
              {props.typed ?? props.declared.join('\n')}
            </textarea>
          </div>
          <button type="submit">{c.save}</button>
        </form>
      ) : (
        <p id="service-categories">{props.declared.join(', ')}</p>
      )}
    </section>
  );
}
