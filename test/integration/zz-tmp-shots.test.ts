import { chromium } from 'playwright-core';
import { it } from 'vitest';
import { payBody, startSandbox } from '/work/main/test/support/sandbox-harness';

it('screens', async () => {
  const sb = await startSandbox({ publicUrl: 'http://127.0.0.1:1' });
  const body = payBody(1500);
  const created = await sb.call('pay', body);
  const id = created.body.paymentId;
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const p = await b.newPage({ viewport: { width: 1100, height: 900 } });
  const shots: [string, string][] = [
    ['cashier', `/sandbox/cashier/${id}`],
    ['cashier-th', `/sandbox/cashier/${id}?lang=th`],
    ['qr', `/sandbox/cashier/${id}/GCASH`],
    ['app', `/sandbox/wallets/GCASH/app/${id}`],
    ['login', `/sandbox/wallets/DANA/login/${id}`],
  ];
  for (const [name, path] of shots) {
    await p.goto(`${sb.url}${path}`);
    await p.screenshot({ path: `/tmp/sbshots/${name}.png`, fullPage: true });
  }
  await p.fill('#user', 'alice');
  await p.fill('#password', 'sandbox');
  await p.click('#sign-in');
  await p.waitForSelector('#pay');
  await p.screenshot({ path: '/tmp/sbshots/confirm.png', fullPage: true });
  await p.click('#pay');
  await p.waitForSelector('#result');
  await p.screenshot({ path: '/tmp/sbshots/result.png', fullPage: true });
  await p.goto(`${sb.url}/sandbox`);
  await p.screenshot({ path: '/tmp/sbshots/console.png', fullPage: true });
  await b.close();
  await sb.close();
}, 60000);
