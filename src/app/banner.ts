import { redactUrl } from '../db/connection';
import { DEMO_MERCHANT_ID, DEMO_SERVICE_ID, type DemoCredentials } from '../merchants/demo-seed';
import type { Config } from './config';
import type { Components } from './runtime';

/**
 * What `kessai` prints once it is running: each part's address and the store each part keeps its
 * data in — the gateway's database only when a part uses it, the sandbox's own store when the
 * sandbox runs.
 */
export function startBanner(cfg: Config, components: Components, demo: DemoCredentials | undefined): string {
  const lines = ['', 'Kessai is running.'];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(16)} ${value}`);
  if (components.gateway) row('gateway', `${cfg.gateway.publicUrl}  (hosted pages, Alipay+ notify, /admin)`);
  if (components.sandbox) row('Alipay+ sandbox', `${cfg.sandbox.publicUrl}/sandbox`);
  if (components.shop) row('demo shop', `${cfg.shop.publicUrl}/`);
  if (components.jobs) row('job worker', 'running');
  if (components.gateway || components.jobs || components.shop) row('database', redactUrl(cfg.databaseUrl));
  if (components.sandbox) row('sandbox store', redactUrl(cfg.sandbox.databaseUrl));
  // Secrets are printed only in demo mode, only here at start (configuration.md).
  if (cfg.mode === 'demo' && demo) {
    lines.push(
      '',
      `Demo merchant: merchant_id ${DEMO_MERCHANT_ID}, service_id ${DEMO_SERVICE_ID}`,
      `  hash key         ${demo.hashKey}`,
      `  API password     ${demo.apiPassword ?? '(rotated since; reset it in the console to see a new one)'}`,
      `  XML API          ${cfg.gateway.publicUrl}/api/xmlapi.do  (Basic auth user ${DEMO_MERCHANT_ID}${DEMO_SERVICE_ID})`,
      '  sandbox wallet users: alice (pays), nofunds, overlimit, risk, frozen — password "sandbox"',
    );
    if (components.gateway && demo.consoleUsers.length > 0) {
      lines.push('', `Console: ${cfg.gateway.publicUrl}/admin`);
      for (const user of demo.consoleUsers) {
        lines.push(`  ${user.role.padEnd(16)} ${user.email}  ${user.password}`);
      }
    }
  }
  return `${lines.join('\n')}\n\n`;
}
