import { addDays, deliveryTime, settlementDate } from '../../src/alipayplus/settlement-reports';
import { reportSourceOf } from '../../src/app/runtime';
import { reportSftpPort } from '../../src/sandbox/sandbox-app';
import { type FetchResult, fetchReports, type ReportSource } from '../../src/settlement/report-fetch';
import type { Stack } from './stack';

/** Alipay+'s reports on a test stack: its sandbox writes them, its gateway fetches them. */
const HOUR = 3_600_000;

/** Where the stack's gateway fetches reports: its sandbox's SFTP server. */
export function reportSource(stack: Stack): ReportSource {
  const source = reportSourceOf(stack.runtime.config, reportSftpPort(stack.runtime.apps.sandbox!));
  if (!source) throw new Error('the stack has no report SFTP server');
  return source;
}

/** Moves both clocks to `at`: the sandbox first, which writes what is then due, then the gateway. */
export async function moveClocksTo(stack: Stack, at: number): Promise<void> {
  stack.sandboxClock.advance(at - stack.sandboxClock.now().getTime());
  const response = await fetch(`${stack.sandboxUrl}/sandbox/v1/reports/run`, { method: 'POST' });
  if (response.status !== 200) throw new Error(`the sandbox wrote no reports: HTTP ${response.status}`);
  stack.clock.advance(at - stack.clock.now().getTime());
}

export function fetchDate(stack: Stack, date: string): Promise<FetchResult> {
  return fetchReports(stack.database.db, reportSource(stack), date, stack.clock.now());
}

/** Runs the days up to the settlement of clearing day `day`, fetching each delivery date an hour after it is due. */
export async function settleDay(stack: Stack, day: string): Promise<string> {
  const until = settlementDate(day, stack.runtime.config.sandbox.reports.settlementLagDays);
  for (let date = addDays(day, 1); date <= until; date = addDays(date, 1)) {
    await moveClocksTo(stack, deliveryTime(date) + HOUR);
    await fetchDate(stack, date);
  }
  return until;
}

/** Asks the sandbox to spoil its next clearing day with transactions (sandbox.md, Control API). */
export async function injectReportFault(stack: Stack, mode: string): Promise<void> {
  const response = await fetch(`${stack.sandboxUrl}/sandbox/v1/faults`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ api: 'reports', mode }),
  });
  if (response.status !== 201) throw new Error(`fault refused: HTTP ${response.status}`);
}
