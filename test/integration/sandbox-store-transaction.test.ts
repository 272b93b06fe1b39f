import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxStore } from '../../src/sandbox/store';
import { DIALECTS } from '../support/databases';
import { sandboxStore } from '../support/sandbox-harness';

/** The sandbox's steps write in one transaction; what depends on the rows runs after the commit. */
for (const dialect of DIALECTS) {
  describe(`sandbox store transactions (${dialect})`, () => {
    let store: SandboxStore;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      if (dialect === 'sqlite') {
        // A file, as in a real run: an in-memory database has no synchronous setting to speak of.
        const dir = mkdtempSync(join(tmpdir(), 'kessai-sandbox-'));
        store = await SandboxStore.open(`sqlite:${join(dir, 'sandbox.sqlite')}`);
        drop = async () => rmSync(dir, { recursive: true, force: true });
      } else {
        const database = await sandboxStore('postgres');
        store = await SandboxStore.open(database.databaseUrl);
        drop = database.drop;
      }
    });
    afterAll(async () => {
      await store?.close();
      await drop?.();
    });

    it('commits a step’s writes together and runs its after-commit work once they are visible', async () => {
      const seen: Array<Promise<string | null>> = [];
      await store.transaction(async (tx) => {
        await tx.putClient('TX_A', 'key-a', 1);
        await tx.putMerchantWallets('TX_M', ['GCASH'], 1);
        tx.afterCommit(() => seen.push(store.clientKey('TX_A')));
        expect(seen).toEqual([]);
      });
      expect(seen).toHaveLength(1);
      expect(await seen[0]).toBe('key-a');
      expect(await store.merchantWallets('TX_M')).toEqual(['GCASH']);
    });

    it('writes nothing and runs no after-commit work when the step fails', async () => {
      let ran = false;
      await expect(
        store.transaction(async (tx) => {
          await tx.putClient('TX_B', 'key-b', 1);
          tx.afterCommit(() => {
            ran = true;
          });
          throw new Error('step failed');
        }),
      ).rejects.toThrow('step failed');
      expect(ran).toBe(false);
      expect(await store.clientKey('TX_B')).toBeNull();
    });

    it('keeps the wallets a merchant may use cached only as committed', async () => {
      expect(await store.allowedWalletsOf('TX_W')).toEqual([]);
      await expect(
        store.transaction(async (tx) => {
          await tx.putMerchantWallets('TX_W', ['DANA'], 1);
          // The transaction sees its own change; nobody else does, before or after the rollback.
          expect(await tx.allowedWalletsOf('TX_W')).toEqual(['DANA']);
          expect(await store.allowedWalletsOf('TX_W')).toEqual([]);
          throw new Error('step failed');
        }),
      ).rejects.toThrow('step failed');
      expect(await store.allowedWalletsOf('TX_W')).toEqual([]);
      await store.transaction((tx) => tx.putMerchantWallets('TX_W', ['GCASH'], 2));
      expect(await store.allowedWalletsOf('TX_W')).toEqual(['GCASH']);
    });

    it('runs after-commit work at once outside a transaction', () => {
      let ran = false;
      store.afterCommit(() => {
        ran = true;
      });
      expect(ran).toBe(true);
    });

    if (dialect === 'sqlite') {
      it('syncs at checkpoints only (synchronous=NORMAL): the sandbox is a test double', async () => {
        const { rows } = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(store.db);
        expect(rows).toEqual([{ synchronous: 1 }]);
      });
    }
  });
}
