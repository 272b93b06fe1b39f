import { readFileSync, writeFileSync } from 'node:fs';
import { type Latencies, round } from './client';
import type { HttpFloor } from './floors';
import type { Measured, STEPS } from './workloads';

/** What one run found (the JSON in bench/results/), and how it is shown: a table and a chart. */
export type StepSummary = Record<(typeof STEPS)[number], ReturnType<Latencies['summary']>>;

export interface BenchResults {
  mode: 'quick' | 'full';
  label: string | null;
  /** The commit of the `kessai` measured (`git log -1`), and whether it is a baseline (`--kessai`). */
  code: { commit: string; baseline: boolean };
  machine: { nproc: number; cpu: string; node: string; date: string; loadAverageAtStart: number[] };
  plan: Record<string, unknown>;
  floors: {
    fastifyHello: HttpFloor[];
    sqliteCommits: { commitsPerSecond: number };
    postgresCommits: { concurrency: number; commitsPerSecond: number };
    rsa2048: { signsPerSecond: number; verifiesPerSecond: number };
  } | null;
  endToEnd: Array<Measured & { dialect: string; layout: string; steps: StepSummary }>;
  refunds: Array<Measured & { dialect: string; latency: ReturnType<Latencies['summary']> }>;
  sweep: (Measured & { dialect: string; overdueJobs: number }) | null;
  backlog: {
    dialect: string;
    overdueJobs: number;
    drainedSeconds: number | null;
    freshPayments: Measured;
    receiptDelayMs: ReturnType<Latencies['summary']> & { max: number };
    steps: StepSummary;
  } | null;
  /** Workloads that could not run to the end, with why (`bench/run.ts`, `attempt`). */
  failures: Array<{ workload: string; error: string }>;
  seconds: number;
}

/**
 * RSA per payment at the gateway: it signs `pay` and its answer to the notify, and verifies
 * the answer to `pay` and the notify — two signatures and two verifications.
 */
function rsaMsPerPayment(results: BenchResults): number {
  const rsa = results.floors!.rsa2048;
  return 2 * (1000 / rsa.signsPerSecond) + 2 * (1000 / rsa.verifiesPerSecond);
}

function ratios(results: BenchResults, row: BenchResults['endToEnd'][number]) {
  const floors = results.floors!;
  const hello = floors.fastifyHello.find((f) => f.concurrency === row.concurrency) ?? floors.fastifyHello[0]!;
  const commitFloor =
    row.dialect === 'postgres'
      ? floors.postgresCommits.commitsPerSecond
      : floors.sqliteCommits.commitsPerSecond;
  return {
    ofHello: row.perSecond / hello.perSecond,
    ofCommitFloor: (row.perSecond * (row.commitsPerOp.gateway ?? 0)) / commitFloor,
    cpuOfRsa: (row.cpuMsPerOp.gateway ?? 0) / rsaMsPerPayment(results),
  };
}

const fixed = (value: number | null | undefined, digits = 1) =>
  value === null || value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);

export function markdown(results: BenchResults): string {
  const { machine, floors } = results;
  const lines: string[] = [];
  lines.push(
    `Run of ${machine.date.slice(0, 16).replace('T', ' ')} UTC${results.label ? ` — ${results.label}` : ''}: ` +
      `Kessai at ${results.code.commit}, ` +
      `${machine.nproc} × ${machine.cpu}, Node ${machine.node}, ${results.mode} mode ` +
      `(${results.plan.seconds} s per level), load average ${machine.loadAverageAtStart.join(' / ')} at start, ` +
      `${results.seconds} s in all.`,
    '',
  );
  if (floors) {
    lines.push('Floors:', '', '| floor | figure |', '| --- | --: |');
    for (const f of floors.fastifyHello)
      lines.push(`| Fastify hello, c=${f.concurrency} | ${f.perSecond} req/s (p99 ${fixed(f.p99, 2)} ms) |`);
    lines.push(
      `| single-row SQLite commits, WAL, synchronous=FULL | ${floors.sqliteCommits.commitsPerSecond}/s |`,
    );
    lines.push(
      `| single-row PostgreSQL commits, c=${floors.postgresCommits.concurrency} | ${floors.postgresCommits.commitsPerSecond}/s |`,
    );
    lines.push(`| RSA-2048 sign | ${floors.rsa2048.signsPerSecond}/s |`);
    lines.push(`| RSA-2048 verify | ${floors.rsa2048.verifiesPerSecond}/s |`, '');
  }
  lines.push(
    'End to end (A01-1 → cashier → pay → return → A02-1 answered `OK,`); CPU in ms per payment; ' +
      'commits are fsynced commits at the gateway (statements in brackets); ratios to the floors: ' +
      'payments/s ÷ hello req/s, commit rate ÷ commit floor, gateway CPU ÷ its RSA (2 signs + 2 verifies).',
    '',
    '| database | layout | c | payments/s | errors | p50 / p99 total ms | p99 purchase / cashier / pay / return / receipt ms | CPU gateway | CPU sandbox | CPU merchant | CPU loadgen | commits (stmts) | pg xact | peak RSS gateway / sandbox MB | ÷ hello | ÷ commits | ÷ RSA |',
    '| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
  );
  for (const row of results.endToEnd) {
    const r = ratios(results, row);
    const s = row.steps;
    lines.push(
      `| ${row.dialect} | ${row.layout} | ${row.concurrency} | ${fixed(row.perSecond)} | ${row.errors} | ` +
        `${fixed(s.total.p50)} / ${fixed(s.total.p99)} | ` +
        `${[s.purchase, s.cashier, s.pay, s.return, s.receipt].map((x) => fixed(x.p99)).join(' / ')} | ` +
        `${fixed(row.cpuMsPerOp.gateway, 2)} | ${fixed(row.cpuMsPerOp.sandbox, 2)} | ${fixed(row.cpuMsPerOp.merchant, 2)} | ` +
        `${fixed(row.cpuMsPerOp.loadgen, 2)} | ${fixed(row.commitsPerOp.gateway)} (${fixed(row.statementsPerOp.gateway)}) | ` +
        `${fixed(row.pgXactCommitsPerOp)} | ${fixed(row.peakRssMb.gateway, 0)} / ${fixed(row.peakRssMb.sandbox, 0)} | ` +
        `${fixed(r.ofHello, 4)} | ${fixed(r.ofCommitFloor, 2)} | ${fixed(r.cpuOfRsa, 1)} |`,
    );
  }
  lines.push(
    '',
    'In the `start` layout the sandbox runs inside the gateway process: its CPU and commits are in the gateway columns. ' +
      'In `serve --processes 2` the gateway columns add up its three processes (two HTTP processes and the job worker); its RSS is the largest one.',
    '',
  );
  if (results.refunds.length) {
    lines.push(
      'XML API partial refunds (1 yen each, spread over the captured payments):',
      '',
      '| database | c | refunds/s | errors | p50 / p99 ms | CPU gateway / sandbox ms | commits (stmts) at the gateway | sandbox commits |',
      '| --- | --: | --: | --: | --: | --: | --: | --: |',
    );
    for (const row of results.refunds)
      lines.push(
        `| ${row.dialect} | ${row.concurrency} | ${fixed(row.perSecond)} | ${row.errors} | ${fixed(row.latency.p50)} / ${fixed(row.latency.p99)} | ` +
          `${fixed(row.cpuMsPerOp.gateway, 2)} / ${fixed(row.cpuMsPerOp.sandbox, 2)} | ${fixed(row.commitsPerOp.gateway)} (${fixed(row.statementsPerOp.gateway)}) | ${fixed(row.commitsPerOp.sandbox)} |`,
      );
    lines.push('');
  }
  if (results.sweep) {
    const s = results.sweep;
    lines.push(
      `Deadline sweep (${s.dialect}): ${s.operations} payments past their deadline (${s.overdueJobs} overdue jobs), ` +
        `all final in ${fixed(s.seconds)} s: **${fixed(s.perSecond)} payments/s**; per payment ` +
        `${fixed(s.cpuMsPerOp.gateway, 2)} ms gateway CPU, ${fixed(s.cpuMsPerOp.sandbox, 2)} ms sandbox CPU, ` +
        `${fixed(s.commitsPerOp.gateway)} commits (${fixed(s.statementsPerOp.gateway)} statements) at the gateway.`,
      '',
    );
  }
  if (results.backlog) {
    const b = results.backlog;
    lines.push(
      `Backlog (${b.dialect}): ${b.overdueJobs} overdue jobs at start, ${b.freshPayments.operations} fresh payments at ` +
        `c=${b.freshPayments.concurrency} meanwhile (${fixed(b.freshPayments.perSecond)}/s, ${b.freshPayments.errors} errors); ` +
        `a fresh A02-1 arrived p50 ${fixed(b.receiptDelayMs.p50)} ms, p99 ${fixed(b.receiptDelayMs.p99)} ms, ` +
        `at worst ${fixed(b.receiptDelayMs.max)} ms after the pay request; ` +
        `${b.drainedSeconds === null ? 'the backlog was not drained when the fresh payments stopped' : `every overdue payment was final after ${b.drainedSeconds} s`}.`,
      '',
    );
  }
  for (const f of results.failures) lines.push(`**${f.workload} failed:** ${f.error}`, '');
  return lines.join('\n');
}

/**
 * Replaces a run's table between its markers in bench/README.md: `bench:results` for this checkout,
 * `bench:baseline` for a baseline (`--kessai`), each with its chart (`chart`, beside the README).
 */
export function writeReadme(file: string, results: BenchResults, chart: string): void {
  const section = results.code.baseline ? 'bench:baseline' : 'bench:results';
  const BEGIN = `<!-- ${section} -->`;
  const END = `<!-- /${section} -->`;
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${file} has no ${BEGIN} … ${END} section`);
  writeFileSync(
    file,
    `${text.slice(0, start + BEGIN.length)}\n\n${markdown(results)}\n![throughput and p99 against concurrency](${chart})\n\n${text.slice(end)}`,
  );
}

/** The axis' top: the next of 1, 2, 2.5, 5 × 10ⁿ above `value`, so that its quarters read well. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 2.5, 5, 10].find((step) => step * power >= value) ?? 10) * power;
}

/** Two panels: payments/s and p99 (ms) against concurrency, one line per database and layout. */
export function chartSvg(results: BenchResults): string {
  const series = new Map<string, Array<{ c: number; perSecond: number; p99: number }>>();
  for (const row of results.endToEnd) {
    const key = `${row.dialect} ${row.layout}`;
    series.set(key, [
      ...(series.get(key) ?? []),
      { c: row.concurrency, perSecond: row.perSecond, p99: row.steps.total.p99 },
    ]);
  }
  const levels = [...new Set(results.endToEnd.map((r) => r.concurrency))].sort((a, b) => a - b);
  const colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
  const width = 380;
  const height = 240;
  const pad = { left: 56, right: 28, top: 28, bottom: 40 };
  const panel = (x0: number, title: string, value: (p: { perSecond: number; p99: number }) => number) => {
    const max = niceCeiling(Math.max(1, ...[...series.values()].flat().map(value)));
    const px = (c: number) =>
      x0 +
      pad.left +
      (levels.length === 1 ? 0.5 : levels.indexOf(c) / (levels.length - 1)) * (width - pad.left - pad.right);
    const py = (v: number) => pad.top + (1 - v / max) * (height - pad.top - pad.bottom);
    const parts = [
      `<text x="${x0 + width / 2}" y="16" text-anchor="middle" font-weight="bold">${title}</text>`,
      `<line x1="${x0 + pad.left}" y1="${py(0)}" x2="${x0 + width - pad.right}" y2="${py(0)}" stroke="#333"/>`,
      `<line x1="${x0 + pad.left}" y1="${pad.top}" x2="${x0 + pad.left}" y2="${py(0)}" stroke="#333"/>`,
    ];
    for (let i = 0; i <= 4; i++) {
      const v = (max * i) / 4;
      parts.push(
        `<text x="${x0 + pad.left - 4}" y="${py(v) + 4}" text-anchor="end">${round(v, 2)}</text>`,
        `<line x1="${x0 + pad.left}" y1="${py(v)}" x2="${x0 + width - pad.right}" y2="${py(v)}" stroke="#ddd"/>`,
      );
    }
    for (const c of levels)
      parts.push(`<text x="${px(c)}" y="${py(0) + 16}" text-anchor="middle">c=${c}</text>`);
    [...series.values()].forEach((points, i) => {
      const path = points.map((p) => `${px(p.c)},${py(value(p))}`).join(' ');
      parts.push(
        `<polyline points="${path}" fill="none" stroke="${colours[i % colours.length]}" stroke-width="2"/>`,
      );
      for (const p of points)
        parts.push(
          `<circle cx="${px(p.c)}" cy="${py(value(p))}" r="3" fill="${colours[i % colours.length]}"/>`,
        );
    });
    return parts.join('\n');
  };
  const legend = [...series.keys()]
    .map(
      (key, i) =>
        `<rect x="${20 + i * 190}" y="${height + 4}" width="12" height="12" fill="${colours[i % colours.length]}"/>` +
        `<text x="${36 + i * 190}" y="${height + 14}">${key}</text>`,
    )
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * width}" height="${height + 24}" font-family="sans-serif" font-size="11">`,
    '<title>End to end: payments/s and p99 against concurrency</title>',
    `<rect width="100%" height="100%" fill="#fff"/>`,
    panel(0, 'end to end: payments/s', (p) => p.perSecond),
    panel(width, 'end to end: p99 ms (A01-1 to A02-1)', (p) => p.p99),
    legend,
    '</svg>',
    '',
  ].join('\n');
}
