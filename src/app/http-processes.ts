import cluster, { type Worker } from 'node:cluster';

/**
 * `kessai serve --processes N`: N HTTP processes (node:cluster workers) share the gateway's port,
 * so that a second core serves requests, while the job worker runs once, in the primary. The
 * messages between them go over the cluster's IPC channel.
 */
const WAKE_JOBS = 'kessai:wake-jobs';
const READY = 'kessai:ready';

type Message = { kessai?: string; kind?: string };

/** Whether this process is one of the HTTP processes of `serve --processes`. */
export function isHttpProcess(): boolean {
  return cluster.isWorker;
}

/**
 * An HTTP process committed a job that is due now (the first A02-1 attempt): the primary's job
 * worker looks for it at once instead of at its next poll.
 */
export function wakeJobsInPrimary(kind?: string): void {
  process.send?.({ kessai: WAKE_JOBS, kind } satisfies Message);
}

/** An HTTP process tells the primary that it listens. */
export function reportReady(): void {
  process.send?.({ kessai: READY } satisfies Message);
}

export interface HttpProcesses {
  /** Resolves once every process listens; rejects if one exits before. */
  ready: Promise<void>;
  /** Stops every process with SIGTERM (each finishes its requests) and resolves once all are gone. */
  stop(): Promise<void>;
}

/**
 * Forks `count` HTTP processes running this same command. One that exits after it was ready is
 * replaced (a crash loses only its requests in flight); one that exits before it was ready — a
 * start-up error such as a port in use, which a replacement would repeat — calls `failed`, and
 * the caller stops everything. `KESSAI_METRICS_PORT`, when set, is the primary's: process k of
 * `count` serves its own series on that port + k (Prometheus sums the counters over processes).
 */
export function startHttpProcesses(
  count: number,
  options: { wakeJobs: (kind?: string) => void; failed: (reason: string) => void },
): HttpProcesses {
  let stopping = false;
  const live = new Set<Worker>();
  const metricsPort = process.env.KESSAI_METRICS_PORT;

  const fork = (index: number): Promise<void> => {
    const env = metricsPort ? { KESSAI_METRICS_PORT: String(Number(metricsPort) + index) } : {};
    const worker = cluster.fork(env);
    live.add(worker);
    let ready = false;
    return new Promise((resolve, reject) => {
      worker.on('message', (message: Message) => {
        if (message?.kessai === WAKE_JOBS) options.wakeJobs(message.kind);
        if (message?.kessai === READY) {
          ready = true;
          resolve();
        }
      });
      worker.on('exit', (code, signal) => {
        live.delete(worker);
        if (stopping) return;
        const how = signal ? `signal ${signal}` : `code ${code}`;
        if (!ready) {
          const reason = `HTTP process ${index} exited at start (${how})`;
          reject(new Error(reason));
          options.failed(reason);
          return;
        }
        process.stderr.write(`kessai: HTTP process ${index} exited (${how}); starting another\n`);
        fork(index).catch(() => {});
      });
    });
  };

  const ready = Promise.all(Array.from({ length: count }, (_, i) => fork(i + 1))).then(() => {});
  // `failed` reports a start-up failure; the rejection itself needs no other handler.
  ready.catch(() => {});
  return {
    ready,
    async stop() {
      stopping = true;
      await Promise.all(
        [...live].map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.isDead()) return resolve();
              worker.once('exit', () => resolve());
              worker.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
