import type { Selectable } from 'kysely';
import { compiledQuery } from '../db/compiled-queries';
import { type Db, inTransaction, type ProhibitedCategoryTable } from '../db/database';
import { prohibitedNotice } from './case-notices';
import { scheduleEffectiveNotice } from './effective-notices';
import { GovernanceInputError, jstDateStart, requiredText } from './governance-input';
import { postNotice } from './notice.repository';

/**
 * Prohibited product categories (governance.md, 4): an operator-maintained list, each with an
 * effective date and a note; each service declares the categories it sells. A service selling a
 * listed category gets 5111 for new purchases from 00:00 JST of the effective date until the
 * category leaves the service or the list (`availability.ts`). Adding a category, or declaring
 * a listed one, notifies every affected merchant (one notice each, naming only its own services)
 * in the same transaction.
 */
export type ProhibitedCategory = Selectable<ProhibitedCategoryTable>;

/** A category code: lower-case letters, digits and hyphens, e.g. `tobacco`, `crypto-assets`. */
const CATEGORY = /^[a-z0-9][a-z0-9-]{0,39}$/;

export function parseCategory(value: string): string {
  const category = value.trim().toLowerCase();
  if (!CATEGORY.test(category)) throw new GovernanceInputError('CATEGORY_INVALID', value);
  return category;
}

/** Categories as typed: separated by spaces, commas or lines; duplicates dropped, sorted. */
export function parseCategories(text: string): string[] {
  const parts = text.split(/[\s,、]+/).filter((t) => t !== '');
  return [...new Set(parts.map(parseCategory))].sort();
}

export async function listProhibited(db: Db): Promise<ProhibitedCategory[]> {
  return db.selectFrom('prohibited_categories').selectAll().orderBy('category').execute();
}

export async function serviceCategories(db: Db, merchantId: string, serviceId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('service_categories')
    .select('category')
    .where('merchant_id', '=', merchantId)
    .where('service_id', '=', serviceId)
    .orderBy('category')
    .execute();
  return rows.map((r) => r.category);
}

/** The services (of one merchant, or all) declaring a listed category, with the category. */
export async function affectedServices(
  db: Db,
  merchantId: string | null,
): Promise<Array<{ merchantId: string; serviceId: string; category: string; effectiveAt: number }>> {
  let q = db
    .selectFrom('service_categories as s')
    .innerJoin('prohibited_categories as p', 'p.category', 's.category')
    .select(['s.merchant_id', 's.service_id', 's.category', 'p.effective_at']);
  if (merchantId !== null) q = q.where('s.merchant_id', '=', merchantId);
  const rows = await q.orderBy('s.merchant_id').orderBy('s.service_id').orderBy('s.category').execute();
  return rows.map((r) => ({
    merchantId: r.merchant_id,
    serviceId: r.service_id,
    category: r.category,
    effectiveAt: Number(r.effective_at),
  }));
}

const categoryInEffect = compiledQuery((db: Db, arg) =>
  db
    .selectFrom('service_categories as s')
    .innerJoin('prohibited_categories as p', 'p.category', 's.category')
    .select('s.category')
    .where('s.merchant_id', '=', arg(0))
    .where('s.service_id', '=', arg(1))
    .where('p.effective_at', '<=', arg(2))
    .orderBy('s.category')
    .limit(1),
);

/** The first listed category in effect at `now` that the service declares, if any. */
export async function prohibitedCategoryInEffect(
  db: Db,
  merchantId: string,
  serviceId: string,
  now: Date,
): Promise<string | undefined> {
  const [row] = (await categoryInEffect(db, merchantId, serviceId, now.getTime())).rows;
  return row?.category;
}

export async function addProhibited(
  db: Db,
  input: { category: string; effectiveFrom: string; note: string; by: string; now: Date },
): Promise<{ category: ProhibitedCategory; merchantIds: string[] }> {
  const row: ProhibitedCategory = {
    category: parseCategory(input.category),
    effective_from: input.effectiveFrom.trim(),
    effective_at: jstDateStart(input.effectiveFrom).getTime(),
    note: requiredText(input.note, 'note'),
    added_by: input.by,
    added_at: input.now.getTime(),
  };
  return inTransaction(db, async (tx) => {
    await lockCategoryNotices(tx);
    const inserted = await tx
      .insertInto('prohibited_categories')
      .values(row)
      .onConflict((oc) => oc.column('category').doNothing())
      .returning('category')
      .executeTakeFirst();
    if (!inserted) throw new GovernanceInputError('CATEGORY_EXISTS', row.category);
    const declaring = await servicesDeclaring(tx, row.category);
    const merchantIds = await noticeEachMerchant(tx, 'listed', row, declaring, input.now);
    const edge = { type: 'prohibited-start' as const, category: row.category, addedAt: row.added_at };
    await scheduleEffectiveNotice(tx, { ...edge, at: row.effective_at }, input.now);
    return { category: row, merchantIds };
  });
}

/**
 * Notifies each merchant declaring the category with a notice of its own naming only its own
 * services: a merchant never sees another merchant's ids. Returns the merchants notified.
 * `dedupeKey`: each merchant's notice is keyed `<dedupeKey>:<merchant id>` (a job's notice).
 */
async function noticeEachMerchant(
  tx: Db,
  step: 'listed' | 'effective' | 'delisted',
  category: ProhibitedCategory,
  declaring: ReadonlyArray<{ merchant_id: string; service_id: string }>,
  now: Date,
  dedupeKey?: string,
): Promise<string[]> {
  const byMerchant = new Map<string, string[]>();
  for (const d of declaring) {
    const services = byMerchant.get(d.merchant_id) ?? [];
    services.push(`${d.merchant_id}/${d.service_id}`);
    byMerchant.set(d.merchant_id, services);
  }
  for (const [merchantId, services] of byMerchant) {
    const notice = prohibitedNotice(step, category, merchantId, services);
    await postNotice(
      tx,
      dedupeKey === undefined ? notice : { ...notice, dedupeKey: `${dedupeKey}:${merchantId}` },
      now,
    );
  }
  return [...byMerchant.keys()];
}

/**
 * The category listed at `addedAt` has taken effect: each merchant still declaring it is told
 * (`effective-notices.ts`). Nothing when it was removed from the list meanwhile.
 */
export async function postCategoryInEffect(
  tx: Db,
  category: string,
  addedAt: number,
  dedupeKey: string,
  now: Date,
): Promise<void> {
  const row = await tx
    .selectFrom('prohibited_categories')
    .selectAll()
    .where('category', '=', category)
    .where('added_at', '=', addedAt)
    .executeTakeFirst();
  if (!row) return;
  await noticeEachMerchant(tx, 'effective', row, await servicesDeclaring(tx, category), now, dedupeKey);
}

export async function removeProhibited(
  db: Db,
  input: { category: string; now: Date },
): Promise<{ category: ProhibitedCategory; merchantIds: string[] }> {
  return inTransaction(db, async (tx) => {
    await lockCategoryNotices(tx);
    const row = await tx
      .selectFrom('prohibited_categories')
      .selectAll()
      .where('category', '=', input.category)
      .executeTakeFirst();
    if (!row) throw new GovernanceInputError('CATEGORY_UNKNOWN', input.category);
    await tx.deleteFrom('prohibited_categories').where('category', '=', row.category).execute();
    const declaring = await servicesDeclaring(tx, row.category);
    const merchantIds = await noticeEachMerchant(tx, 'delisted', row, declaring, input.now);
    return { category: row, merchantIds };
  });
}

/**
 * Replaces a service's declared categories. Declaring a listed category notifies the merchant at
 * once (the purchase gate applies from its effective date); removing one tells the merchant and
 * the operators that the service no longer sells it. Returns what changed.
 */
export async function declareServiceCategories(
  db: Db,
  input: { merchantId: string; serviceId: string; categories: string; now: Date },
): Promise<{ from: string[]; to: string[]; prohibited: string[] }> {
  const to = parseCategories(input.categories);
  return inTransaction(db, async (tx) => {
    await lockCategoryNotices(tx);
    const from = await serviceCategories(tx, input.merchantId, input.serviceId);
    await tx
      .deleteFrom('service_categories')
      .where('merchant_id', '=', input.merchantId)
      .where('service_id', '=', input.serviceId)
      .execute();
    if (to.length > 0) {
      await tx
        .insertInto('service_categories')
        .values(
          to.map((category) => ({ merchant_id: input.merchantId, service_id: input.serviceId, category })),
        )
        .execute();
    }
    const service = `${input.merchantId}/${input.serviceId}`;
    const tell = async (step: 'declared' | 'undeclared', changed: string[]) => {
      const listed =
        changed.length === 0
          ? []
          : await tx
              .selectFrom('prohibited_categories')
              .selectAll()
              .where('category', 'in', changed)
              .execute();
      for (const category of listed) {
        await postNotice(tx, prohibitedNotice(step, category, input.merchantId, [service]), input.now);
      }
      return listed.map((c) => c.category);
    };
    const prohibited = await tell(
      'declared',
      to.filter((c) => !from.includes(c)),
    );
    await tell(
      'undeclared',
      from.filter((c) => !to.includes(c)),
    );
    return { from, to, prohibited };
  });
}

/**
 * Serialises the changes that decide who is told about a category — listing, delisting, declaring.
 * Without it a category listed while a service declares it could be seen by neither transaction
 * (PostgreSQL reads committed rows only) and nobody would be told. An upsert of one row locks it
 * on both databases until commit.
 */
async function lockCategoryNotices(tx: Db): Promise<void> {
  await tx
    .insertInto('system_flags')
    .values({ name: 'governance.prohibited-categories', value: '' })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value: '' }))
    .execute();
}

/** The services that declare a category, in a stable order (the notices name them). */
function servicesDeclaring(db: Db, category: string) {
  return db
    .selectFrom('service_categories')
    .select(['merchant_id', 'service_id'])
    .where('category', '=', category)
    .orderBy('merchant_id')
    .orderBy('service_id')
    .execute();
}
