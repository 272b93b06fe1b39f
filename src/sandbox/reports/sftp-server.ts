import { createHash, timingSafeEqual } from 'node:crypto';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { posix, sep } from 'node:path';
import type { Attributes, Connection, FileEntry, SFTPWrapper } from 'ssh2';
// ssh2 is CommonJS: under Node's ESM loader only its default export carries `Server` and `utils`.
import ssh2 from 'ssh2';

const { Server, utils } = ssh2;

/**
 * The sandbox's SFTP server for the clearing and settlement reports (settlement.md: served over
 * SFTP, read-only, chrooted to the participant's folders) — the way Alipay+ delivers them. It
 * serves one folder tree as `/`, for one user name and password; every write is refused.
 */
export interface ReportSftpOptions {
  /** The participant's tree (`<root>/v1/settlements/...`), seen by the client as `/`. */
  root: string;
  username: string;
  password: string;
  hostKey: string | Buffer;
  host?: string;
  port?: number;
}

export interface ReportSftpServer {
  port: number;
  close(): Promise<void>;
}

const { STATUS_CODE, OPEN_MODE } = utils.sftp;
const WRITE_FLAGS = OPEN_MODE.WRITE | OPEN_MODE.APPEND | OPEN_MODE.CREAT | OPEN_MODE.TRUNC | OPEN_MODE.EXCL;

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** A listed symbolic link shows as itself: what it points to may lie outside the root. */
async function attributesOf(file: string, follow = true): Promise<Attributes> {
  const s = follow ? await stat(file) : await lstat(file);
  return {
    mode: s.mode,
    uid: 0,
    gid: 0,
    size: s.size,
    atime: Math.floor(s.atimeMs / 1000),
    mtime: Math.floor(s.mtimeMs / 1000),
  };
}

/**
 * An `ls -l` style line, as OpenSSH's server gives: clients (ssh2-sftp-client among them) read the
 * entry's type from its first character.
 */
function longname(name: string, attrs: Attributes): string {
  const type = (attrs.mode & 0o170000) === 0o040000 ? 'd' : (attrs.mode & 0o170000) === 0o120000 ? 'l' : '-';
  const when = new Date(attrs.mtime * 1000).toUTCString().slice(4, 22);
  return `${type}r--r--r-- 1 0 0 ${attrs.size} ${when} ${name}`;
}

type Handle = { kind: 'file'; data: Buffer } | { kind: 'dir'; entries: FileEntry[] | null; path: string };

/** Serves one SFTP session: reads within `root`, nothing else. */
function serveSftp(sftp: SFTPWrapper, rootReal: string): void {
  const handles = new Map<number, Handle>();
  let nextHandle = 0;
  const open = (h: Handle) => {
    const id = nextHandle++;
    handles.set(id, h);
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32BE(id);
    return buffer;
  };
  const handleOf = (buffer: Buffer) =>
    buffer.length === 4 ? handles.get(buffer.readUInt32BE(0)) : undefined;

  /**
   * The real file behind a client path, or null when there is none inside the root. `..` cannot
   * climb above `/`, and a symbolic link leading out of the root is treated as absent.
   */
  const resolve = async (clientPath: string): Promise<{ real: string; virtual: string } | null> => {
    const virtual = posix.normalize(`/${clientPath}`);
    try {
      const real = await realpath(rootReal + virtual.split('/').join(sep));
      if (real !== rootReal && !real.startsWith(rootReal + sep)) return null;
      return { real, virtual };
    } catch {
      return null;
    }
  };
  const fail = (reqId: number, code: number, message: string) => sftp.status(reqId, code, message);
  const guard = (reqId: number, work: () => Promise<void>) => {
    work().catch(() => fail(reqId, STATUS_CODE.FAILURE, 'failure'));
  };

  sftp.on('REALPATH', (reqId, path) => {
    const virtual = posix.normalize(`/${path}`);
    sftp.name(reqId, [{ filename: virtual, longname: virtual, attrs: {} as Attributes }]);
  });
  for (const event of ['STAT', 'LSTAT'] as const) {
    sftp.on(event, (reqId: number, path: string) =>
      guard(reqId, async () => {
        const found = await resolve(path);
        if (!found) return fail(reqId, STATUS_CODE.NO_SUCH_FILE, 'no such file');
        sftp.attrs(reqId, await attributesOf(found.real));
      }),
    );
  }
  sftp.on('OPEN', (reqId, path, flags) =>
    guard(reqId, async () => {
      if (flags & WRITE_FLAGS) return fail(reqId, STATUS_CODE.PERMISSION_DENIED, 'read-only');
      const found = await resolve(path);
      if (!found || !(await stat(found.real)).isFile())
        return fail(reqId, STATUS_CODE.NO_SUCH_FILE, 'no such file');
      // Reports are small: a file is read once, whole, when opened.
      sftp.handle(reqId, open({ kind: 'file', data: await readFile(found.real) }));
    }),
  );
  sftp.on('READ', (reqId, handle, offset, length) => {
    const h = handleOf(handle);
    if (h?.kind !== 'file') return fail(reqId, STATUS_CODE.FAILURE, 'bad handle');
    if (offset >= h.data.length) return fail(reqId, STATUS_CODE.EOF, 'end of file');
    sftp.data(reqId, h.data.subarray(offset, offset + length));
  });
  sftp.on('FSTAT', (reqId, handle) => {
    const h = handleOf(handle);
    if (h?.kind !== 'file') return fail(reqId, STATUS_CODE.FAILURE, 'bad handle');
    sftp.attrs(reqId, { mode: 0o100444, uid: 0, gid: 0, size: h.data.length, atime: 0, mtime: 0 });
  });
  sftp.on('OPENDIR', (reqId, path) =>
    guard(reqId, async () => {
      const found = await resolve(path);
      if (!found || !(await stat(found.real)).isDirectory()) {
        return fail(reqId, STATUS_CODE.NO_SUCH_FILE, 'no such directory');
      }
      sftp.handle(reqId, open({ kind: 'dir', entries: null, path: found.real }));
    }),
  );
  sftp.on('READDIR', (reqId, handle) =>
    guard(reqId, async () => {
      const h = handleOf(handle);
      if (h?.kind !== 'dir') return fail(reqId, STATUS_CODE.FAILURE, 'bad handle');
      // The whole listing goes in the first answer; the next one says it is over.
      if (h.entries) return fail(reqId, STATUS_CODE.EOF, 'end of directory');
      const names = (await readdir(h.path)).sort();
      h.entries = await Promise.all(
        names.map(async (name) => {
          const attrs = await attributesOf(`${h.path}${sep}${name}`, false);
          return { filename: name, longname: longname(name, attrs), attrs };
        }),
      );
      if (h.entries.length === 0) return fail(reqId, STATUS_CODE.EOF, 'end of directory');
      sftp.name(reqId, h.entries);
    }),
  );
  sftp.on('CLOSE', (reqId, handle) => {
    if (handle.length === 4) handles.delete(handle.readUInt32BE(0));
    sftp.status(reqId, STATUS_CODE.OK);
  });
  for (const event of [
    'WRITE',
    'FSETSTAT',
    'SETSTAT',
    'REMOVE',
    'RMDIR',
    'MKDIR',
    'RENAME',
    'SYMLINK',
  ] as const) {
    sftp.on(event, (reqId: number) => fail(reqId, STATUS_CODE.PERMISSION_DENIED, 'read-only'));
  }
}

export async function startReportSftpServer(options: ReportSftpOptions): Promise<ReportSftpServer> {
  const rootReal = await realpath(options.root);
  const clients = new Set<Connection>();
  const server = new Server({ hostKeys: [options.hostKey] }, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => client.end());
    client.on('authentication', (ctx) => {
      if (
        ctx.method === 'password' &&
        sameSecret(ctx.username, options.username) &&
        sameSecret(ctx.password, options.password)
      ) {
        return ctx.accept();
      }
      ctx.reject(['password']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        // Only the SFTP subsystem: no shell, no commands, no forwarding.
        session.on('sftp', (acceptSftp) => serveSftp(acceptSftp(), rootReal));
      });
    });
  });
  await new Promise<void>((done, failed) => {
    server.once('error', failed);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => done());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((done) => {
        for (const client of clients) client.end();
        server.close(() => done());
      }),
  };
}
