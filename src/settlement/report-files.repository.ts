import type { Db } from '../db/database';

/** The report files fetched, newest first, without their content (the console's list). */
export interface ReportFileSummary {
  file_id: number;
  file_name: string;
  kind: string;
  directory: string;
  sha256: string;
  size: number;
  fetched_at: number;
}

export async function listReportFiles(db: Db, limit = 200): Promise<ReportFileSummary[]> {
  return db
    .selectFrom('settlement_report_files')
    .select(['file_id', 'file_name', 'kind', 'directory', 'sha256', 'size', 'fetched_at'])
    .orderBy('file_id', 'desc')
    .limit(limit)
    .execute();
}
