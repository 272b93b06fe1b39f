import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type SFTPWrapper, utils } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReportSftpServer, startReportSftpServer } from '../../src/sandbox/reports/sftp-server';

/** The sandbox's SFTP server for reports, over a real SSH connection on loopback. */
const PARTICIPANT = '1022188000000000001';
const FOLDER = `/v1/settlements/clearing/${PARTICIPANT}/20261205`;
const FILE = `transactionItems_${PARTICIPANT}_JPY_2026120400001_AGR001_001.csv`;
const CONTENT = 'totalCount,netSettlementAmountValue,settlementCurrency\n0,0,JPY\n<END>\n';

describe('report SFTP server', () => {
  let base: string;
  let server: ReportSftpServer;
  const clients: Client[] = [];

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'kessai-sftp-'));
    const root = join(base, 'participant');
    mkdirSync(join(root, FOLDER), { recursive: true });
    writeFileSync(join(root, FOLDER, FILE), CONTENT);
    writeFileSync(join(base, 'secret.txt'), 'not for the participant');
    symlinkSync(join(base, 'secret.txt'), join(root, 'link.txt'));
    const { private: hostKey } = utils.generateKeyPairSync('ecdsa', { bits: 256 });
    server = await startReportSftpServer({ root, username: 'acqp', password: 'correct horse', hostKey });
  });
  afterAll(async () => {
    for (const c of clients) c.end();
    await server?.close();
    rmSync(base, { recursive: true, force: true });
  });

  function connect(password: string): Promise<SFTPWrapper> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      clients.push(client);
      client
        .on('ready', () => client.sftp((error, sftp) => (error ? reject(error) : resolve(sftp))))
        .on('error', reject)
        .connect({ host: '127.0.0.1', port: server.port, username: 'acqp', password, readyTimeout: 10_000 });
    });
  }

  const call = <T>(work: (done: (error: Error | null | undefined, value?: T) => void) => void) =>
    new Promise<T>((resolve, reject) =>
      work((error, value) => (error ? reject(error) : resolve(value as T))),
    );

  it("lists and reads the participant's reports", async () => {
    const sftp = await connect('correct horse');
    const names = await call<Array<{ filename: string }>>((done) => sftp.readdir(FOLDER, done));
    expect(names.map((n) => n.filename)).toEqual([FILE]);
    const bytes = await call<Buffer>((done) => sftp.readFile(`${FOLDER}/${FILE}`, done));
    expect(bytes.toString('utf8')).toBe(CONTENT);
    const stats = await call<{ size: number }>((done) => sftp.stat(`${FOLDER}/${FILE}`, done));
    expect(stats.size).toBe(Buffer.byteLength(CONTENT));
  });

  it('refuses every write', async () => {
    const sftp = await connect('correct horse');
    await expect(call((done) => sftp.writeFile(`${FOLDER}/new.csv`, 'x', done))).rejects.toThrow(/read-only/);
    await expect(call((done) => sftp.unlink(`${FOLDER}/${FILE}`, done))).rejects.toThrow(/read-only/);
    await expect(call((done) => sftp.mkdir('/v1/other', done))).rejects.toThrow(/read-only/);
    await expect(call((done) => sftp.rename(`${FOLDER}/${FILE}`, '/moved.csv', done))).rejects.toThrow(
      /read-only/,
    );
  });

  it('keeps the client inside its folders', async () => {
    const sftp = await connect('correct horse');
    await expect(call((done) => sftp.readFile('/../secret.txt', done))).rejects.toThrow(/no such file/);
    await expect(call((done) => sftp.readFile('../../secret.txt', done))).rejects.toThrow(/no such file/);
    await expect(call((done) => sftp.readFile('/link.txt', done))).rejects.toThrow(/no such file/);
    const top = await call<Array<{ filename: string }>>((done) => sftp.readdir('/..', done));
    expect(top.map((n) => n.filename)).toEqual(['link.txt', 'v1']);
  });

  it('refuses a wrong password', async () => {
    await expect(connect('wrong')).rejects.toThrow(/authentication/i);
  });
});
