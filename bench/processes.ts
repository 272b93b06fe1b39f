import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../test/crash/crash-system';

/**
 * The benchmark's child processes (the gateway, the sandbox, the merchant endpoint, the floors'
 * servers), each measured from /proc: CPU time (utime + stime) and resident memory.
 */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/**
 * The `kessai` the gateway and the sandbox run: this checkout's, or another's given by
 * `--kessai <checkout>` (a baseline measured with this same harness; its node_modules must be this
 * one's, e.g. a symlink, so that the SQL counters wrap the same better-sqlite3).
 */
let kessaiBin = join(ROOT, 'bin/kessai.js');
export function useKessaiFrom(checkout: string): void {
  kessaiBin = join(checkout, 'bin/kessai.js');
  if (!existsSync(kessaiBin)) throw new Error(`no bin/kessai.js in ${checkout}`);
}
const COUNTERS_PRELOAD = join(ROOT, 'bench/db-counters.mjs');
const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

export interface DbCounts {
  statements: number;
  commits: number;
}

export interface Sample {
  cpuMs: number;
  rssMb: number;
  /** The most it was resident since it started (VmHWM). */
  peakRssMb: number;
  db: DbCounts;
}

/**
 * The counts of a process and of its HTTP processes (`serve --processes`), which db-counters.mjs
 * writes to `<file>.<worker id>`.
 */
function readAllCounts(file: string): DbCounts {
  const own = `${basename(file)}.`;
  const workers = readdirSync(dirname(file)).filter(
    (name) => name.startsWith(own) && /^\d+$/.test(name.slice(own.length)),
  );
  return [file, ...workers.map((name) => join(dirname(file), name))]
    .map(readCounts)
    .reduce((sum, counts) => ({
      statements: sum.statements + counts.statements,
      commits: sum.commits + counts.commits,
    }));
}

/** The counts db-counters.mjs writes in place; a read that caught a write half done is retried. */
function readCounts(file: string): DbCounts {
  for (let attempt = 1; ; attempt++) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (text.trim() === '') return { statements: 0, commits: 0 };
    try {
      return JSON.parse(text) as DbCounts;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/** One process's CPU time and resident memory, from /proc. */
function processSample(pid: number): Omit<Sample, 'db'> {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) — utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return {
    cpuMs: (ticks * 1000) / TICKS_PER_SECOND,
    rssMb: kb('VmRSS') / 1024,
    peakRssMb: kb('VmHWM') / 1024,
  };
}

export class BenchProcess {
  private child: ChildProcess | null = null;
  private output = '';
  /** Called with each line the process prints on stdout. */
  onLine: ((line: string) => void) | null = null;

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly env: Record<string, string>,
    /** Counted SQL (db-counters.mjs) goes to this file, when given. */
    private readonly countersFile: string | null = null,
  ) {}

  /** `kessai <command>`, with the SQL counters preloaded (and `nodeArgs`, such as `--cpu-prof`). */
  static kessai(
    name: string,
    command: string[],
    env: Record<string, string>,
    dir: string,
    nodeArgs: string[] = [],
  ): BenchProcess {
    return new BenchProcess(
      name,
      [...nodeArgs, '--import', COUNTERS_PRELOAD, kessaiBin, ...command],
      env,
      join(dir, `${name}.counts.json`),
    );
  }

  /** A TypeScript program of bench/ (through tsx). */
  static script(name: string, file: string, env: Record<string, string>): BenchProcess {
    return new BenchProcess(name, ['--import', 'tsx', join(ROOT, 'bench', file)], env);
  }

  get pid(): number {
    if (!this.child?.pid) throw new Error(`${this.name} is not running`);
    return this.child.pid;
  }

  /** Starts it and waits until `ready` (an HTTP URL answering 2xx, or a line it prints). */
  async start(ready: { url: string } | { line: RegExp }): Promise<void> {
    const env = {
      PATH: process.env.PATH ?? '',
      ...this.env,
      ...(this.countersFile ? { BENCH_DB_COUNTERS: this.countersFile } : {}),
    };
    const child = spawn(process.execPath, this.args, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    const take = (chunk: Buffer) => {
      this.output = (this.output + chunk).slice(-20_000);
    };
    let partial = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      take(chunk);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      if (this.onLine) for (const line of lines) this.onLine(line);
    });
    child.stderr?.on('data', take);
    await until(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`${this.name} exited at start:\n${this.output.slice(-3000)}`);
        if ('line' in ready) return ready.line.test(this.output);
        return (await fetch(ready.url).catch(() => null))?.ok === true;
      },
      90_000,
      `${this.name} to start`,
    );
  }

  /** The first match of `pattern` in what it printed so far. */
  printed(pattern: RegExp): RegExpExecArray {
    const match = pattern.exec(this.output);
    if (!match) throw new Error(`${this.name} did not print ${pattern}`);
    return match;
  }

  /**
   * Its CPU time added up with its child processes' (the HTTP processes of `serve --processes`);
   * its resident memory is the largest of theirs, as each process has its own ceiling.
   */
  sample(): Sample {
    const children = readFileSync(`/proc/${this.pid}/task/${this.pid}/children`, 'utf8').trim();
    const samples = [this.pid, ...(children ? children.split(' ').map(Number) : [])].flatMap((pid) => {
      try {
        return [processSample(pid)];
      } catch {
        return []; // a child that exited just now
      }
    });
    return {
      cpuMs: samples.reduce((sum, s) => sum + s.cpuMs, 0),
      rssMb: Math.max(...samples.map((s) => s.rssMb)),
      peakRssMb: Math.max(...samples.map((s) => s.peakRssMb)),
      db: this.countersFile ? readAllCounts(this.countersFile) : { statements: 0, commits: 0 },
    };
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }
}
