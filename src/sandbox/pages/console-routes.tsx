import type { FastifyInstance } from 'fastify';
import { type Clock, OffsetClock } from '../../kernel/clock';
import type { FaultTable } from '../faults';
import type { SandboxRegistrations } from '../registrations';
import type { SandboxService } from '../sandbox-service';
import type { SandboxStore } from '../store';
import { ConsolePage } from './console-page';
import { renderPage } from './layout';

const SHOWN = 50;

export interface ConsoleRouteDeps {
  service: SandboxService;
  registrations: SandboxRegistrations;
  store: SandboxStore;
  faults: FaultTable;
  clock: Clock;
}

/** `GET /sandbox`; its buttons post to the control API, which sends forms back here. */
export async function consoleRoutes(app: FastifyInstance, deps: ConsoleRouteDeps): Promise<void> {
  const { service, store, faults, clock } = deps;
  app.get('/sandbox', async (_request, reply) => {
    await service.sweep();
    const notifications = await store.recentNotifications(SHOWN);
    const data = {
      orders: await store.recentOrders(SHOWN),
      registrations: await store.recentRegistrations(SHOWN),
      notifications,
      attempts: await store.attemptsOf(notifications.map((n) => n.id)),
      calls: await store.recentApiCalls(SHOWN),
      faults: faults.list(),
      clockOffsetMs: clock instanceof OffsetClock ? clock.offset : null,
      now: clock.now(),
    };
    return reply
      .type('text/html; charset=utf-8')
      .header('Cache-Control', 'no-store')
      .send(renderPage(<ConsolePage data={data} />));
  });
}
