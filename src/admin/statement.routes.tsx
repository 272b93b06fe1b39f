import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../kernel/errors';
import {
  bankAccountOf,
  generateZenginFile,
  importBankResult,
  listPayouts,
  listZenginFiles,
  markPayoutPaid,
  setBankAccount,
  zenginFile,
} from '../settlement/payout.repository';
import { findStatement, listStatements } from '../settlement/statement.repository';
import { type AdminKit, auditActor, formField } from './admin-kit';
import { consoleRefusal } from './console-errors';
import { listMerchantIds } from './merchant-list';
import { csvStream } from './payment-search';
import { can, inScope, scopeOf } from './permissions';
import { MissingFontError, statementCsvLines, statementPdf } from './statement-documents';
import { PayoutsPage } from './views/payouts-page';
import { StatementPage, StatementsPage } from './views/statements-page';

/**
 * Statements, upcoming payouts and the payout account (merchants and operators), and the
 * operators' payouts screen: transfer files and marking payouts paid. A statement of another
 * merchant is "not found".
 */
type Notices = Array<{ kind: 'ok' | 'warn' | 'error'; text: string }>;

const ID = /^\d{1,12}$/;

export function registerStatementRoutes(app: FastifyInstance, kit: AdminKit): void {
  const { db, clock } = kit;

  /** The merchant a screen shows: the actor's own, or the operator's choice (default: the first). */
  async function chosenMerchant(request: FastifyRequest, asked: string) {
    const scoped = scopeOf(kit.actor(request)).merchantId;
    const merchants = scoped === null ? await listMerchantIds(db) : null;
    const merchantId = scoped ?? (merchants?.includes(asked) ? asked : (merchants?.[0] ?? ''));
    return { merchants, merchantId };
  }

  async function statementsPage(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    asked: string,
    notices: Notices,
    bankForm?: Record<string, string>,
  ) {
    const actor = kit.actor(request);
    const { merchants, merchantId } = await chosenMerchant(request, asked);
    const scope = { merchantId };
    const upcoming = (await listPayouts(db, scope)).filter((p) => p.status !== 'PAID');
    return kit.html(
      reply,
      status,
      <StatementsPage
        page={kit.page(request)}
        merchants={merchants}
        merchantId={merchantId}
        statements={await listStatements(db, scope)}
        upcoming={upcoming}
        bankAccount={await bankAccountOf(db, merchantId)}
        canEditBank={can(actor, 'settings.write')}
        notices={notices}
        {...(bankForm ? { bankForm } : {})}
      />,
    );
  }

  app.get('/admin/statements', async (request, reply) => {
    if (!kit.allow(request, reply, 'statements.read')) return reply;
    const asked = (request.query as Record<string, unknown>).merchant;
    return statementsPage(request, reply, 200, typeof asked === 'string' ? asked : '', []);
  });

  app.post('/admin/bank-account', async (request, reply) => {
    const actor = kit.allow(request, reply, 'settings.write');
    if (!actor) return reply;
    const merchantId = scopeOf(actor).merchantId ?? formField(request.body, 'merchant');
    if (!inScope(actor, merchantId) || !(await listMerchantIds(db)).includes(merchantId)) {
      return kit.notFound(request, reply);
    }
    const form = Object.fromEntries(
      [
        'bank_code',
        'bank_name',
        'branch_code',
        'branch_name',
        'account_type',
        'account_number',
        'holder_name',
      ].map((name) => [name, formField(request.body, name)]),
    );
    try {
      const saved = await setBankAccount(
        db,
        merchantId,
        {
          bankCode: form.bank_code ?? '',
          bankName: form.bank_name ?? '',
          branchCode: form.branch_code ?? '',
          branchName: form.branch_name ?? '',
          accountType: form.account_type ?? '',
          accountNumber: form.account_number ?? '',
          holderName: form.holder_name ?? '',
        },
        clock.now(),
      );
      // The account number is shown to the merchant's people anyway; the audit keeps the bank and branch.
      await kit.audit(request, {
        action: 'bank-account.update',
        target: merchantId,
        merchantId,
        detail: { bankCode: saved.bankCode, branchCode: saved.branchCode, accountType: saved.accountType },
      });
      const t = kit.page(request).t.statements.bank;
      return statementsPage(request, reply, 200, merchantId, [{ kind: 'ok', text: t.saved }]);
    } catch (error) {
      const { status, notice } = consoleRefusal(error);
      return statementsPage(request, reply, status, merchantId, [notice], form);
    }
  });

  /** The statement named in the URL, within the actor's merchant; undefined answers 404. */
  async function scopedStatement(request: FastifyRequest, reply: FastifyReply) {
    const actor = kit.allow(request, reply, 'statements.read');
    if (!actor) return undefined;
    const { id } = request.params as { id: string };
    const found = ID.test(id) ? await findStatement(db, scopeOf(actor), Number(id)) : undefined;
    if (!found) kit.notFound(request, reply);
    return found;
  }

  app.get('/admin/statements/:id', async (request, reply) => {
    const found = await scopedStatement(request, reply);
    if (!found) return reply;
    return kit.html(reply, 200, <StatementPage page={kit.page(request)} {...found} />);
  });

  const fileName = (s: { merchant_id: string; period_close: string }, ext: string) =>
    `statement-${s.merchant_id}-${s.period_close}${ext}`;

  app.get('/admin/statements/:id.csv', { config: { adminApi: true } }, async (request, reply) => {
    const found = await scopedStatement(request, reply);
    if (!found) return reply;
    const encoding = (request.query as Record<string, unknown>).encoding === 'sjis' ? 'shift_jis' : 'utf-8';
    await kit.audit(request, {
      action: 'statement.csv',
      target: String(found.statement.statement_id),
      merchantId: found.statement.merchant_id,
      detail: { encoding },
    });
    const suffix = encoding === 'utf-8' ? '-utf8.csv' : '-sjis.csv';
    return reply
      .header('Content-Type', `text/csv; charset=${encoding === 'utf-8' ? 'UTF-8' : 'Shift_JIS'}`)
      .header('Content-Disposition', `attachment; filename="${fileName(found.statement, suffix)}"`)
      .send(csvStream(statementCsvLines(found.statement, found.lines, kit.page(request).t), encoding));
  });

  app.get('/admin/statements/:id.pdf', { config: { adminApi: true } }, async (request, reply) => {
    const found = await scopedStatement(request, reply);
    if (!found) return reply;
    let pdf: Buffer;
    try {
      pdf = await statementPdf(found.statement, found.lines, kit.page(request).t);
    } catch (error) {
      if (!(error instanceof MissingFontError)) throw error;
      request.log.error({ err: error }, 'statement PDF without its font');
      return reply.code(503).type('text/plain; charset=utf-8').send(error.message);
    }
    await kit.audit(request, {
      action: 'statement.pdf',
      target: String(found.statement.statement_id),
      merchantId: found.statement.merchant_id,
    });
    return reply
      .header('Content-Type', 'application/pdf')
      .header('Content-Disposition', `attachment; filename="${fileName(found.statement, '.pdf')}"`)
      .send(pdf);
  });

  // --- operators: payouts and transfer files -----------------------------------------------------

  async function payoutsPage(request: FastifyRequest, reply: FastifyReply, status: number, notices: Notices) {
    return kit.html(
      reply,
      status,
      <PayoutsPage
        page={kit.page(request)}
        payouts={await listPayouts(db, { merchantId: null })}
        files={await listZenginFiles(db)}
        notices={notices}
      />,
    );
  }

  app.get('/admin/payouts', async (request, reply) => {
    if (!kit.allow(request, reply, 'payouts.manage')) return reply;
    return payoutsPage(request, reply, 200, []);
  });

  app.post('/admin/payouts/file', async (request, reply) => {
    const actor = kit.allow(request, reply, 'payouts.manage');
    if (!actor) return reply;
    const date = formField(request.body, 'date');
    const t = kit.page(request).t.payouts;
    try {
      if (!kit.payoutOriginator) {
        throw new DomainError('PAYOUT_REFUSED', 'set KESSAI_PAYOUT_ORIGINATOR to make transfer files');
      }
      const file = await generateZenginFile(
        db,
        { transferDate: date, originator: kit.payoutOriginator },
        auditActor(actor, request),
        clock.now(),
      );
      return payoutsPage(request, reply, 200, [{ kind: 'ok', text: t.generated(file.fileId) }]);
    } catch (error) {
      const { status, notice } = consoleRefusal(error);
      return payoutsPage(request, reply, status, [notice]);
    }
  });

  app.get('/admin/payouts/files/:id', { config: { adminApi: true } }, async (request, reply) => {
    if (!kit.allow(request, reply, 'payouts.manage')) return reply;
    const { id } = request.params as { id: string };
    const file = ID.test(id) ? await zenginFile(db, Number(id)) : undefined;
    if (!file) return kit.notFound(request, reply);
    await kit.audit(request, { action: 'payout.file.download', target: id, merchantId: null });
    return reply
      .header('Content-Type', 'text/plain; charset=Shift_JIS')
      .header('Content-Disposition', `attachment; filename="zengin-${file.transfer_date}-${id}.txt"`)
      .send(Buffer.from(file.content));
  });

  app.post('/admin/payouts/import', async (request, reply) => {
    const actor = kit.allow(request, reply, 'payouts.manage');
    if (!actor) return reply;
    const file = (request.body as Record<string, unknown> | undefined)?.result;
    const t = kit.page(request).t.payouts;
    if (!Buffer.isBuffer(file) || file.length === 0) {
      return payoutsPage(request, reply, 400, [{ kind: 'error', text: t.noResultFile }]);
    }
    try {
      const result = await importBankResult(db, file, auditActor(actor, request), clock.now());
      return payoutsPage(request, reply, 200, [
        {
          kind: result.failed.length ? 'warn' : 'ok',
          text: t.imported(
            result.paid.length,
            result.failed.map((f) => f.payoutId),
          ),
        },
      ]);
    } catch (error) {
      const { status, notice } = consoleRefusal(error);
      return payoutsPage(request, reply, status, [notice]);
    }
  });

  app.post('/admin/payouts/:id/paid', async (request, reply) => {
    const actor = kit.allow(request, reply, 'payouts.manage');
    if (!actor) return reply;
    const { id } = request.params as { id: string };
    if (!ID.test(id)) return kit.notFound(request, reply);
    try {
      await markPayoutPaid(db, Number(id), auditActor(actor, request), clock.now());
      return payoutsPage(request, reply, 200, [
        { kind: 'ok', text: kit.page(request).t.payouts.paid(Number(id)) },
      ]);
    } catch (error) {
      const { status, notice } = consoleRefusal(error);
      return payoutsPage(request, reply, status, [notice]);
    }
  });
}
