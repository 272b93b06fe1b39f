import type { Db } from '../db/database';
import { formatJstIso } from '../kernel/jst';
import { listComingMaintenance } from './maintenance';
import type { Bilingual } from './notice';
import { openOutage } from './outage';

/**
 * The public status (governance.md, Notices: `/status` and `/status.json`): the open outage and
 * the scheduled or running maintenance of the whole gateway or of Alipay+. Nothing merchant-
 * specific: windows of named services are told only to their merchants (by notice), never here.
 */
export interface PublicStatus {
  generatedAt: string;
  /** `disturbed` while an outage is open, `maintenance` during a window, else `operational`. */
  state: 'operational' | 'maintenance' | 'disturbed';
  incidents: Array<{
    id: number;
    status: 'investigating' | 'identified';
    since: string;
    cause: Bilingual | null;
  }>;
  maintenance: Array<{
    id: number;
    scope: 'GATEWAY' | 'ALIPAYPLUS';
    startsAt: string;
    endsAt: string;
    inProgress: boolean;
    emergency: boolean;
    text: Bilingual;
  }>;
}

export async function loadPublicStatus(db: Db, now: Date): Promise<PublicStatus> {
  const [outage, coming] = await Promise.all([openOutage(db), listComingMaintenance(db, now)]);
  const maintenance = coming.flatMap((w) =>
    w.scope === 'SERVICES'
      ? []
      : [
          {
            id: w.id,
            scope: w.scope,
            startsAt: formatJstIso(w.startsAt),
            endsAt: formatJstIso(w.endsAt),
            inProgress: w.startsAt <= now,
            emergency: w.emergency,
            text: w.text,
          },
        ],
  );
  return {
    generatedAt: formatJstIso(now),
    state: outage ? 'disturbed' : maintenance.some((w) => w.inProgress) ? 'maintenance' : 'operational',
    incidents: outage
      ? [
          {
            id: outage.id,
            status: outage.cause ? 'identified' : 'investigating',
            since: formatJstIso(outage.openedAt),
            cause: outage.cause,
          },
        ]
      : [],
    maintenance,
  };
}
