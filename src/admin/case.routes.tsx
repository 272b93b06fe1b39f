import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import type { Db } from '../db/database';
import {
  findInvestigation,
  investigationPayments,
  listInvestigations,
  openInvestigation,
  recordInvestigationStep,
} from '../governance/fraud';
import { GovernanceInputError } from '../governance/governance-input';
import {
  answerKycCase,
  decideKycCase,
  findKycCase,
  type KycDecision,
  liftable,
  liftSuspension,
  listKycCases,
  listRefundStops,
  openKycCase,
  resumeRefunds,
  stopRefunds,
  suspensionInEffect,
} from '../governance/kyc';
import { NoticeError } from '../governance/notice';
import { addProhibited, affectedServices, listProhibited, removeProhibited } from '../governance/prohibited';
import { type AdminKit, type AuditInput, formField } from './admin-kit';
import { type Actor, inScope, scopeOf } from './permissions';
import {
  caseTexts,
  type GovernanceForm,
  InvestigationListPage,
  InvestigationPage,
  KycCasePage,
  KycListPage,
  type PageNotice,
  ProhibitedPage,
} from './views/case-pages';

/**
 * The governance screens (governance.md, 2-4). Operators open, decide and close; a merchant's
 * admins answer their own merchant's cases; viewers read. Another merchant's case is "not found"
 * (admin.md, tenancy), and nothing is changed. Every change is audited.
 */
export function registerCaseRoutes(app: FastifyInstance, kit: AdminKit): void {
  const { db, clock } = kit;

  const formOf = <N extends string>(body: unknown, names: readonly N[]) =>
    Object.fromEntries(names.map((n) => [n, formField(body, n)])) as Record<N, string>;

  /**
   * A refused input, or a notice that cannot be posted (e.g. a body over its limit), re-renders the
   * page with the reason (422); the transaction rolled back, so nothing changed. Anything else is
   * not ours to catch.
   */
  async function guarded(
    request: FastifyRequest,
    reply: FastifyReply,
    act: () => Promise<FastifyReply>,
    again: (notices: PageNotice[]) => Promise<VNode>,
  ): Promise<FastifyReply> {
    try {
      return await act();
    } catch (error) {
      const g = caseTexts(kit.page(request));
      let text: string;
      if (error instanceof GovernanceInputError) text = g.inputErrors[error.code];
      else if (error instanceof NoticeError) text = g.noticeRefused;
      else throw error;
      return kit.html(reply, 422, await again([{ kind: 'error', text }]));
    }
  }

  /**
   * A change from a form: made and audited in one transaction (`kit.audited`), then the browser goes
   * to `next(result)`; a refused input re-renders the page through `again` (see `guarded`).
   */
  function submitted<T>(
    request: FastifyRequest,
    reply: FastifyReply,
    change: {
      make: (tx: Db) => Promise<T>;
      audit: (result: T, tx: Db) => AuditInput | Promise<AuditInput>;
      next: (result: T) => string;
    },
    again: (notices: PageNotice[]) => Promise<VNode>,
  ): Promise<FastifyReply> {
    return guarded(
      request,
      reply,
      async () => reply.redirect(change.next(await kit.audited(request, change.make, change.audit)), 303),
      again,
    );
  }

  type Texts = ReturnType<typeof caseTexts>;
  /** After a change the browser is sent back to the page (`?done=<step>`), which says what was done. */
  const doneNotices = (
    request: FastifyRequest,
    steps: Record<string, (g: Texts) => string>,
  ): PageNotice[] => {
    const { done } = request.query as Record<string, unknown>;
    const text = typeof done === 'string' && Object.hasOwn(steps, done) ? steps[done] : undefined;
    return text ? [{ kind: 'ok', text: text(caseTexts(kit.page(request))) }] : [];
  };
  const KYC_STEPS: Record<string, (g: Texts) => string> = {
    opened: (g) => g.kyc.opened,
    answered: (g) => g.kyc.answered,
    decided: (g) => g.kyc.decided,
    lifted: (g) => g.kyc.lifted,
  };
  const FRAUD_STEPS: Record<string, (g: Texts) => string> = {
    opened: (g) => g.fraud.opened,
    answered: (g) => g.kyc.answered,
    closed: (g) => g.fraud.closed,
  };

  // --- KYC cases and the refund stop -------------------------------------------------------------

  async function kycList(request: FastifyRequest, notices: PageNotice[], form: GovernanceForm = {}) {
    const { merchantId } = scopeOf(kit.actor(request));
    return (
      <KycListPage
        page={kit.page(request, '/admin/kyc')}
        cases={await listKycCases(db, merchantId)}
        stops={await listRefundStops(db, merchantId)}
        now={clock.now()}
        notices={notices}
        form={form}
      />
    );
  }

  app.get('/admin/kyc', async (request, reply) => {
    if (!kit.allow(request, reply, 'governance.read')) return reply;
    const { done } = request.query as Record<string, unknown>;
    const g = caseTexts(kit.page(request));
    const notices: PageNotice[] =
      done === 'stopped'
        ? [{ kind: 'ok', text: g.refundStop.stoppedDone }]
        : done === 'resumed'
          ? [{ kind: 'ok', text: g.refundStop.resumedDone }]
          : [];
    return kit.html(reply, 200, await kycList(request, notices));
  });

  app.post('/admin/kyc', async (request, reply) => {
    const actor = kit.allow(request, reply, 'governance.manage');
    if (!actor) return reply;
    const form = formOf(request.body, ['merchant', 'reason', 'information', 'due_date']);
    return submitted(
      request,
      reply,
      {
        make: (tx) =>
          openKycCase(tx, {
            merchantId: form.merchant,
            reason: form.reason,
            informationRequested: form.information,
            dueDate: form.due_date,
            by: actor.email,
            now: clock.now(),
          }),
        audit: (row) => ({
          action: 'kyc.open',
          target: row.case_id,
          merchantId: row.merchant_id,
          detail: { reason: row.reason, dueDate: row.due_date },
        }),
        next: (row) => `/admin/kyc/${row.case_id}?done=opened`,
      },
      (notices) => kycList(request, notices, form),
    );
  });

  app.post('/admin/refund-stops', async (request, reply) => {
    const actor = kit.allow(request, reply, 'governance.manage');
    if (!actor) return reply;
    const op = formField(request.body, 'op');
    const merchantId = formField(request.body, 'merchant').trim();
    const reason = formField(request.body, 'reason');
    const again = (notices: PageNotice[]) =>
      kycList(request, notices, { stop_merchant: merchantId, stop_reason: reason });
    if (op === 'stop') {
      return submitted(
        request,
        reply,
        {
          make: (tx) => stopRefunds(tx, { merchantId, reason, by: actor.email, now: clock.now() }),
          audit: () => ({ action: 'refunds.stop', target: merchantId, merchantId, detail: { reason } }),
          next: () => '/admin/kyc?done=stopped',
        },
        again,
      );
    }
    if (op !== 'resume') return kit.html(reply, 400, await kycList(request, [badRequest(request)]));
    return submitted(
      request,
      reply,
      {
        make: (tx) => resumeRefunds(tx, { merchantId, now: clock.now() }),
        audit: (stop) => ({
          action: 'refunds.resume',
          target: merchantId,
          merchantId,
          detail: { reason: stop.reason },
        }),
        next: () => '/admin/kyc?done=resumed',
      },
      again,
    );
  });

  function badRequest(request: FastifyRequest): PageNotice {
    return { kind: 'error', text: kit.page(request).t.errors.badRequest };
  }

  /** The case named in the URL, if it exists and the actor may see its merchant. */
  async function scopedCase(actor: Actor, caseId: string) {
    const found = await findKycCase(db, caseId);
    return found && inScope(actor, found.merchant_id) ? found : undefined;
  }

  async function kycCasePage(
    request: FastifyRequest,
    caseId: string,
    notices: PageNotice[],
    form: GovernanceForm = {},
  ) {
    const kycCase = (await findKycCase(db, caseId))!;
    const now = clock.now();
    // The banner is about the merchant (any case may suspend it); the lift button about this case.
    const merchantSuspended = (await suspensionInEffect(db, kycCase.merchant_id, now)) !== undefined;
    return (
      <KycCasePage
        page={kit.page(request, `/admin/kyc/${caseId}`)}
        kycCase={kycCase}
        merchantSuspended={merchantSuspended}
        liftable={liftable(kycCase, now)}
        now={now}
        notices={notices}
        form={form}
      />
    );
  }

  app.get<{ Params: { caseId: string } }>('/admin/kyc/:caseId', async (request, reply) => {
    const actor = kit.allow(request, reply, 'governance.read');
    if (!actor) return reply;
    const found = await scopedCase(actor, request.params.caseId);
    if (!found) return kit.notFound(request, reply);
    return kit.html(reply, 200, await kycCasePage(request, found.case_id, doneNotices(request, KYC_STEPS)));
  });

  app.post<{ Params: { caseId: string } }>('/admin/kyc/:caseId/answer', async (request, reply) => {
    const actor = kit.allow(request, reply, 'governance.answer');
    if (!actor) return reply;
    const found = await scopedCase(actor, request.params.caseId);
    if (!found) return kit.notFound(request, reply);
    const answer = formField(request.body, 'answer');
    return submitted(
      request,
      reply,
      {
        make: (tx) => answerKycCase(tx, { caseId: found.case_id, answer, by: actor.email, now: clock.now() }),
        audit: () => ({ action: 'kyc.answer', target: found.case_id, merchantId: found.merchant_id }),
        next: () => `/admin/kyc/${found.case_id}?done=answered`,
      },
      (notices) => kycCasePage(request, found.case_id, notices),
    );
  });

  app.post<{ Params: { caseId: string } }>('/admin/kyc/:caseId/decide', async (request, reply) => {
    const actor = kit.allow(request, reply, 'governance.manage');
    if (!actor) return reply;
    const found = await scopedCase(actor, request.params.caseId);
    if (!found) return kit.notFound(request, reply);
    const form = formOf(request.body, ['outcome', 'note', 'from', 'until']);
    return submitted(
      request,
      reply,
      {
        make: (tx) =>
          decideKycCase(tx, {
            caseId: found.case_id,
            decision: kycDecision(form),
            by: actor.email,
            now: clock.now(),
          }),
        audit: (decided) => ({
          action: 'kyc.decide',
          target: found.case_id,
          merchantId: found.merchant_id,
          detail: {
            outcome: decided.status,
            note: decided.outcome_note,
            from: decided.suspended_from,
            until: decided.suspended_until,
          },
        }),
        next: () => `/admin/kyc/${found.case_id}?done=decided`,
      },
      (notices) => kycCasePage(request, found.case_id, notices, form),
    );
  });

  app.post<{ Params: { caseId: string } }>('/admin/kyc/:caseId/lift', async (request, reply) => {
    const actor = kit.allow(request, reply, 'governance.manage');
    if (!actor) return reply;
    const found = await scopedCase(actor, request.params.caseId);
    if (!found) return kit.notFound(request, reply);
    const now = clock.now();
    // A suspension not yet begun is cancelled, not lifted: the audit log tells them apart.
    const cancelled = found.suspended_from !== null && found.suspended_from > now.getTime();
    return submitted(
      request,
      reply,
      {
        make: (tx) => liftSuspension(tx, { caseId: found.case_id, by: actor.email, now }),
        audit: (lifted) => ({
          action: cancelled ? 'kyc.cancel' : 'kyc.lift',
          target: found.case_id,
          merchantId: found.merchant_id,
          detail: { until: lifted.suspended_until },
        }),
        next: () => `/admin/kyc/${found.case_id}?done=lifted`,
      },
      (notices) => kycCasePage(request, found.case_id, notices),
    );
  });

  // --- fraud investigations ----------------------------------------------------------------------

  async function investigationList(
    request: FastifyRequest,
    notices: PageNotice[],
    form: GovernanceForm = {},
  ) {
    return (
      <InvestigationListPage
        page={kit.page(request, '/admin/investigations')}
        investigations={await listInvestigations(db, scopeOf(kit.actor(request)).merchantId)}
        notices={notices}
        form={form}
      />
    );
  }

  async function scopedInvestigation(actor: Actor, id: string) {
    const found = await findInvestigation(db, id);
    return found && inScope(actor, found.merchant_id) ? found : undefined;
  }

  async function investigationPage(request: FastifyRequest, id: string, notices: PageNotice[]) {
    return (
      <InvestigationPage
        page={kit.page(request, `/admin/investigations/${id}`)}
        investigation={(await findInvestigation(db, id))!}
        trackingIds={await investigationPayments(db, id)}
        notices={notices}
      />
    );
  }

  app.get('/admin/investigations', async (request, reply) => {
    if (!kit.allow(request, reply, 'governance.read')) return reply;
    return kit.html(reply, 200, await investigationList(request, []));
  });

  app.post('/admin/investigations', async (request, reply) => {
    const actor = kit.allow(request, reply, 'governance.manage');
    if (!actor) return reply;
    const form = formOf(request.body, ['merchant', 'tracking_ids', 'allegation', 'requested', 'due_date']);
    return submitted(
      request,
      reply,
      {
        make: (tx) =>
          openInvestigation(tx, {
            merchantId: form.merchant,
            trackingIds: form.tracking_ids,
            allegation: form.allegation,
            requested: form.requested,
            dueDate: form.due_date,
            by: actor.email,
            now: clock.now(),
          }),
        audit: async (row, tx) => ({
          action: 'fraud.open',
          target: row.investigation_id,
          merchantId: row.merchant_id,
          detail: {
            trackingIds: await investigationPayments(tx, row.investigation_id),
            allegation: row.allegation,
            dueDate: row.due_date,
          },
        }),
        next: (row) => `/admin/investigations/${row.investigation_id}?done=opened`,
      },
      (notices) => investigationList(request, notices, form),
    );
  });

  app.get<{ Params: { id: string } }>('/admin/investigations/:id', async (request, reply) => {
    const actor = kit.allow(request, reply, 'governance.read');
    if (!actor) return reply;
    const found = await scopedInvestigation(actor, request.params.id);
    if (!found) return kit.notFound(request, reply);
    return kit.html(
      reply,
      200,
      await investigationPage(request, found.investigation_id, doneNotices(request, FRAUD_STEPS)),
    );
  });

  for (const step of ['answer', 'close'] as const) {
    app.post<{ Params: { id: string } }>(`/admin/investigations/:id/${step}`, async (request, reply) => {
      const actor = kit.allow(request, reply, step === 'answer' ? 'governance.answer' : 'governance.manage');
      if (!actor) return reply;
      const found = await scopedInvestigation(actor, request.params.id);
      if (!found) return kit.notFound(request, reply);
      const id = found.investigation_id;
      const text = formField(request.body, step === 'answer' ? 'answer' : 'outcome');
      return submitted(
        request,
        reply,
        {
          make: (tx) => recordInvestigationStep(tx, { id, step, text, by: actor.email, now: clock.now() }),
          audit: () => ({
            action: step === 'answer' ? 'fraud.answer' : 'fraud.close',
            target: id,
            merchantId: found.merchant_id,
            ...(step === 'close' ? { detail: { outcome: text.trim() } } : {}),
          }),
          next: () => `/admin/investigations/${id}?done=${step === 'answer' ? 'answered' : 'closed'}`,
        },
        (notices) => investigationPage(request, id, notices),
      );
    });
  }

  // --- prohibited categories ---------------------------------------------------------------------

  async function prohibitedPage(request: FastifyRequest, notices: PageNotice[], form: GovernanceForm = {}) {
    return (
      <ProhibitedPage
        page={kit.page(request, '/admin/prohibited')}
        categories={await listProhibited(db)}
        affected={await affectedServices(db, scopeOf(kit.actor(request)).merchantId)}
        now={clock.now()}
        notices={notices}
        form={form}
      />
    );
  }

  app.get('/admin/prohibited', async (request, reply) => {
    if (!kit.allow(request, reply, 'governance.read')) return reply;
    const query = request.query as Record<string, unknown>;
    const g = caseTexts(kit.page(request));
    const notices: PageNotice[] =
      typeof query.added === 'string' && /^\d{1,6}$/.test(query.added)
        ? [{ kind: 'ok', text: g.prohibited.added(Number(query.added)) }]
        : query.removed === '1'
          ? [{ kind: 'ok', text: g.prohibited.removed }]
          : [];
    return kit.html(reply, 200, await prohibitedPage(request, notices));
  });

  app.post('/admin/prohibited', async (request, reply) => {
    const actor = kit.allow(request, reply, 'governance.manage');
    if (!actor) return reply;
    const form = formOf(request.body, ['category', 'effective_from', 'note']);
    return submitted(
      request,
      reply,
      {
        make: (tx) =>
          addProhibited(tx, {
            category: form.category,
            effectiveFrom: form.effective_from,
            note: form.note,
            by: actor.email,
            now: clock.now(),
          }),
        audit: (result) => ({
          action: 'prohibited.add',
          target: result.category.category,
          merchantId: null,
          detail: {
            effectiveFrom: result.category.effective_from,
            note: result.category.note,
            notifiedMerchants: result.merchantIds,
          },
        }),
        next: (added) => `/admin/prohibited?added=${added.merchantIds.length}`,
      },
      (notices) => prohibitedPage(request, notices, form),
    );
  });

  app.post<{ Params: { category: string } }>('/admin/prohibited/:category/remove', async (request, reply) => {
    const actor = kit.allow(request, reply, 'governance.manage');
    if (!actor) return reply;
    return submitted(
      request,
      reply,
      {
        make: (tx) => removeProhibited(tx, { category: request.params.category, now: clock.now() }),
        audit: (removed) => ({
          action: 'prohibited.remove',
          target: removed.category.category,
          merchantId: null,
          detail: { notifiedMerchants: removed.merchantIds },
        }),
        next: () => '/admin/prohibited?removed=1',
      },
      (notices) => prohibitedPage(request, notices),
    );
  });
}

/** The decision a form asks for; anything but CLEARED or SUSPENDED is refused as input. */
function kycDecision(form: Record<'outcome' | 'note' | 'from' | 'until', string>): KycDecision {
  if (form.outcome === 'CLEARED') return { outcome: 'CLEARED', note: form.note };
  if (form.outcome === 'SUSPENDED') {
    return { outcome: 'SUSPENDED', note: form.note, from: form.from, until: form.until };
  }
  throw new GovernanceInputError('OUTCOME_INVALID', 'outcome must be CLEARED or SUSPENDED');
}
