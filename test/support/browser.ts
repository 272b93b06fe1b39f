import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (no browser download). Screenshots are kept in
 * `artifacts/screenshots/` for people to look at after a run.
 */
export const SCREENSHOT_DIR = join(process.cwd(), 'artifacts', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/**
 * Signs in to the console through its form: opens `from` (the sign-in page, or a console page that
 * sends there), submits the credentials and waits for the dashboard.
 */
export async function signInToConsole(
  page: Page,
  gatewayUrl: string,
  user: { email: string; password: string },
  from = '/admin/login',
): Promise<void> {
  await page.goto(`${gatewayUrl}${from}`);
  await page.waitForURL(/\/admin\/login/);
  await page.fill('#email', user.email);
  await page.fill('#password', user.password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${gatewayUrl}/admin`);
}
