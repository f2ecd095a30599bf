// browser.mjs: Debian's Chromium, headless, driven by playwright-core (no
// browser download). Flags keep it off the network it cannot reach anyway.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** Launches Chromium with a fresh profile; close() also removes the profile. */
export async function launchBrowser({ args = [] } = {}) {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'xw-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...args],
  });
  const close = context.close.bind(context);
  context.close = async () => {
    await close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  };
  return context;
}

/** A new tab on the package's test page (window.xmpp is the package), once it is ready. */
export async function openPackagePage(browser, webUrl) {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(`${webUrl}/tests/integration/pages/chat.html`);
  await page.waitForFunction(() => window.ready === true);
  return page;
}
