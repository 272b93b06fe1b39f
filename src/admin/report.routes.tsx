import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { listDiscrepancies, resolveDiscrepancy } from '../settlement/discrepancy.repository';
import { ACCOUNTS, accountBalance } from '../settlement/ledger.repository';
import { listReportFiles } from '../settlement/report-files.repository';
import { type AdminKit, auditActor, formField } from './admin-kit';
import { consoleRefusal } from './console-errors';
import { ReportsPage, type ReportsPageProps } from './views/reports-page';

const RESOLVED_SHOWN = 50;

/**
 * Reconciliation of Alipay+'s reports (settlement.md): the files fetched, the open discrepancies
 * and the resolved ones; an operator resolves one with a note (audited). Merchant people are
 * refused: these are the gateway's own accounts with Alipay+, across all merchants.
 */
export function registerReportRoutes(app: FastifyInstance, kit: AdminKit): void {
  const { db, clock } = kit;

  async function render(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    notices: ReportsPageProps['notices'] = [],
  ) {
    return kit.html(
      reply,
      status,
      <ReportsPage
        page={kit.page(request, '/admin/reports')}
        open={await listDiscrepancies(db, { status: 'OPEN' })}
        resolved={await listDiscrepancies(db, { status: 'RESOLVED', limit: RESOLVED_SHOWN })}
        files={await listReportFiles(db)}
        suspense={await accountBalance(db, ACCOUNTS.settlementSuspense)}
        notices={notices}
      />,
    );
  }

  app.get('/admin/reports', async (request, reply) => {
    if (!kit.allow(request, reply, 'reports.reconcile')) return reply;
    return render(request, reply, 200);
  });

  app.post<{ Params: { id: string } }>('/admin/reports/discrepancies/:id/resolve', async (request, reply) => {
    const actor = kit.allow(request, reply, 'reports.reconcile');
    if (!actor) return reply;
    const id = Number(request.params.id);
    if (!/^\d{1,15}$/.test(request.params.id) || id < 1) return kit.notFound(request, reply);
    const exists = await db
      .selectFrom('settlement_discrepancies')
      .select('discrepancy_id')
      .where('discrepancy_id', '=', id)
      .executeTakeFirst();
    if (!exists) return kit.notFound(request, reply);
    try {
      await db
        .transaction()
        .execute((tx) =>
          resolveDiscrepancy(
            tx,
            id,
            formField(request.body, 'note'),
            auditActor(actor, request),
            clock.now(),
          ),
        );
    } catch (error) {
      const { status, notice } = consoleRefusal(error);
      return render(request, reply, status, [notice]);
    }
    return render(request, reply, 200, [{ kind: 'ok', text: kit.page(request).t.reports.resolvedDone(id) }]);
  });
}
