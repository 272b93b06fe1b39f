import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connection';
import type { Database } from '../../src/db/database';
import { migrateToLatest } from '../../src/db/migrate';
import { currentDemoApiPassword, demoApiPassword, seedDemoData } from '../../src/merchants/demo-seed';
import { eventually, freePort } from '../support/stack';

/**
 * The `kessai` command as a person runs it: a real process, its output and exit code (README,
 * Commands), and `npm start`, which must not outlive npm.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'kessai.js');
const run = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

describe('kessai command', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'kessai-cli-'));
    env = { ...process.env, KESSAI_DATA_DIR: dataDir };
    delete env.DATABASE_URL;
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  async function kessai(...args: string[]): Promise<Outcome> {
    return kessaiIn(ROOT, ...args);
  }

  async function kessaiIn(cwd: string, ...args: string[]): Promise<Outcome> {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env, cwd });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  it('prints its version', async () => {
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    expect(await kessai('--version')).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('reports a mistyped option as unknown, not as a missing required one', async () => {
    const outcome = await kessai('api-password', '--merchnat', '30000', '--service', '001');
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain("unknown option '--merchnat'");
    expect(outcome.stderr).not.toContain('required option');
  });

  it('says which database it migrated', async () => {
    const database = `sqlite:${join(dataDir, 'kessai.sqlite')}`;
    const first = await kessai('migrate');
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toMatch(new RegExp(`^${database}: applied 001-initial, `));
    expect((await kessai('migrate')).stdout).toBe(`${database}: up to date\n`);
  });

  it('works from any directory, not only the project folder (its pages compile the same)', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'kessai-cwd-'));
    try {
      const migrated = await kessaiIn(elsewhere, 'migrate');
      expect(migrated).toMatchObject({ code: 0 });
      expect(migrated.stdout).toContain(`sqlite:${join(dataDir, 'kessai.sqlite')}`);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it("rotates the demo service's API password so that the demo shop keeps working, and audits it", async () => {
    const connection = openDatabase<Database>(`sqlite:${join(dataDir, 'kessai.sqlite')}`);
    try {
      await migrateToLatest(connection.db, connection.dialect);
      await seedDemoData(connection.db, new Date(), {});
      const before = await demoApiPassword(connection.db, dataDir, undefined);
      expect(before).not.toBeNull();

      const outcome = await kessai('api-password', '--merchant', '30000', '--service', '001');
      expect(outcome.code).toBe(0);
      const rotated = outcome.stdout.trim().split('\n').at(-1)!;
      expect(rotated).not.toBe(before);
      expect(outcome.stderr).toContain('the demo shop uses the new password from now on');
      // The shop asks for the current password each time; a restart prints and uses the new one.
      expect(await currentDemoApiPassword(connection.db, dataDir, undefined)).toBe(rotated);
      expect(await demoApiPassword(connection.db, dataDir, undefined)).toBe(rotated);
      const audit = await connection.db
        .selectFrom('admin_audit')
        .selectAll()
        .where('action', '=', 'api-password.reset')
        .execute();
      expect(audit.map((r) => [r.actor_email, r.target, r.ip])).toEqual([['cli', '30000/001', 'local']]);
      expect(JSON.stringify(audit)).not.toContain(rotated);
    } finally {
      await connection.close();
    }
  });
});

describe('npm start', () => {
  let dataDir: string;
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  const listening = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });

  it('names the port settings when a port is taken, and stops when npm is killed', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kessai-start-'));
    const [gateway, sandbox, shop] = [await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KESSAI_DATA_DIR: dataDir,
      KESSAI_GATEWAY_PORT: String(gateway),
      KESSAI_SANDBOX_PORT: String(sandbox),
      KESSAI_SANDBOX_SFTP_PORT: '0',
      KESSAI_SHOP_PORT: String(shop),
      KESSAI_LOG_LEVEL: 'warn',
    };
    delete env.DATABASE_URL;
    const npm = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = npm;
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    npm.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await eventually(async () => output.includes('Kessai is running.'), 60_000);
    expect(await listening(gateway)).toBe(true);

    // A second start on the same ports says which settings to change.
    const second = await run(process.execPath, [BIN, 'start'], { cwd: ROOT, env }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect((second as { code: number }).code).toBe(1);
    expect((second as { stderr: string }).stderr).toContain(`port ${gateway}`);
    expect((second as { stderr: string }).stderr).toContain('KESSAI_GATEWAY_PORT');

    // npm killed outright cannot pass the signal on: the server notices on its own and frees the ports.
    npm.kill('SIGKILL');
    await eventually(
      async () => !(await listening(gateway)) && !(await listening(sandbox)) && !(await listening(shop)),
      15_000,
    );
  }, 120_000);
});
