import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AdminKit, formField } from '../admin/admin-kit';
import { listMerchantIds } from '../admin/merchant-list';
import { type Actor, can, inScope } from '../admin/permissions';
import { subBrandEvents, subBrandStates } from './sub-brand-review.repository';
import { SubBrandReviewError, type SubBrandReviewService } from './sub-brand-review.service';
import { type SubBrandMessage, SubBrandsPage, subBrandTexts } from './views/sub-brands-page';

const REASON_MAX = 500;

/**
 * The console's sub-brand screens (governance.md §1): every merchant's state for operators, who may
 * withdraw an approved sub-brand; a merchant's own state for its people, whose admins apply.
 */
export function registerSubBrandRoutes(
  app: FastifyInstance,
  kit: AdminKit,
  review: SubBrandReviewService,
): void {
  const { db } = kit;

  async function page(
    request: FastifyRequest,
    reply: FastifyReply,
    actor: Actor,
    merchantAsked: string,
    status: number,
    message: SubBrandMessage,
  ) {
    const merchants = actor.role === 'operator' ? await listMerchantIds(db) : null;
    const merchantId =
      actor.merchantId ?? (merchants?.includes(merchantAsked) ? merchantAsked : (merchants?.[0] ?? ''));
    return kit.html(
      reply,
      status,
      <SubBrandsPage
        page={kit.page(request, `/admin/sub-brands?merchant=${encodeURIComponent(merchantId)}`)}
        merchants={merchants}
        merchantId={merchantId}
        states={await subBrandStates(db, merchantId)}
        events={await subBrandEvents(db, merchantId)}
        canApply={can(actor, 'subBrands.apply')}
        canWithdraw={can(actor, 'subBrands.withdraw')}
        message={message}
      />,
    );
  }

  app.get('/admin/sub-brands', async (request, reply) => {
    const actor = kit.actor(request);
    const query = request.query as Record<string, unknown>;
    const texts = subBrandTexts(kit.page(request));
    const done =
      query.done === 'applied' ? texts.applied : query.done === 'withdrawn' ? texts.withdrawn : null;
    return page(
      request,
      reply,
      actor,
      typeof query.merchant === 'string' ? query.merchant : '',
      200,
      done ? { kind: 'ok', text: done } : null,
    );
  });

  app.post('/admin/sub-brands/apply', async (request, reply) => {
    const actor = kit.allow(request, reply, 'subBrands.apply');
    if (!actor) return reply;
    const merchantId = formField(request.body, 'merchant');
    if (!inScope(actor, merchantId)) return kit.forbidden(request, reply);
    const raw = (request.body as Record<string, unknown> | null)?.sub_brand;
    const subBrands = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string');
    try {
      await review.apply(merchantId, subBrands, actor.email, (tx, registrationRequestId) =>
        kit.audit(
          request,
          {
            action: 'subBrands.apply',
            target: merchantId,
            merchantId,
            detail: { subBrands, registrationRequestId },
          },
          tx,
        ),
      );
    } catch (error) {
      if (!(error instanceof SubBrandReviewError)) throw error;
      return page(request, reply, actor, merchantId, 400, { kind: 'error', text: error.message });
    }
    return reply.redirect(`/admin/sub-brands?merchant=${encodeURIComponent(merchantId)}&done=applied`, 303);
  });

  app.post('/admin/sub-brands/withdraw', async (request, reply) => {
    const actor = kit.allow(request, reply, 'subBrands.withdraw');
    if (!actor) return reply;
    const merchantId = formField(request.body, 'merchant');
    const subBrand = formField(request.body, 'sub_brand');
    const reason = formField(request.body, 'reason').slice(0, REASON_MAX);
    try {
      await review.withdraw(merchantId, subBrand, reason, actor.email, (tx) =>
        kit.audit(
          request,
          {
            action: 'subBrands.withdraw',
            target: `${merchantId}/${subBrand}`,
            merchantId,
            detail: { subBrand, reason },
          },
          tx,
        ),
      );
    } catch (error) {
      if (!(error instanceof SubBrandReviewError)) throw error;
      return page(request, reply, actor, merchantId, 400, { kind: 'error', text: error.message });
    }
    return reply.redirect(`/admin/sub-brands?merchant=${encodeURIComponent(merchantId)}&done=withdrawn`, 303);
  });
}
