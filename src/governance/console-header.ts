import { type Actor, scopeOf } from '../admin/permissions';
import type { Db } from '../db/database';
import { concerns, listComingMaintenance } from './maintenance';
import { countUnread } from './notice.repository';
import { openOutage } from './outage';

/**
 * What every console page shows in its header (governance.md, Notices and 5): the reader's unread
 * notices, a banner for each maintenance window concerning the reader that is scheduled or running,
 * and the open outage.
 */
export interface ConsoleHeader {
  unread: number;
  maintenance: Array<{ startsAt: Date; endsAt: Date; running: boolean }>;
  outageSince: Date | null;
}

export async function loadConsoleHeader(db: Db, actor: Actor, now: Date): Promise<ConsoleHeader> {
  const { merchantId } = scopeOf(actor);
  const [unread, coming, outage] = await Promise.all([
    countUnread(db, { userId: actor.userId, merchantId }),
    listComingMaintenance(db, now),
    openOutage(db),
  ]);
  return {
    unread,
    maintenance: coming
      .filter((w) => merchantId === null || concerns(w, merchantId))
      .map((w) => ({ startsAt: w.startsAt, endsAt: w.endsAt, running: w.startsAt <= now })),
    outageSince: outage?.openedAt ?? null,
  };
}
