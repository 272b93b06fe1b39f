import type { Kysely } from 'kysely';

/**
 * Each worker lane claims the due jobs of its own kinds (src/jobs/job.repository.ts, claimDueJobs).
 * Through `jobs_due` (status, due_at) that claim read every due job of every kind, so a backlog of
 * overdue deadlines slowed each A02-1 claim; with the kind in the index it reads its own kind only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('jobs_claim').on('jobs').columns(['status', 'kind', 'due_at']).execute();
}
