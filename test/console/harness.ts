// The console as a user meets it: the desk started as `npm start` starts it
// (its own process, the built console in dist/web), the WhatsApp Cloud API
// emulator on loopback, and Debian's Chromium driven by playwright-core.
import { existsSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { consoleIsBuilt, defaultConsoleRoot } from '../../src/http/console.js';
import { startWhatsAppEmulator, type WhatsAppEmulator } from '../emulators/whatsappCloud.js';
import { startDeskProcess as startDeskChild, type DeskProcess as DeskChild } from '../support/deskProcess.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-artifacts/console/', import.meta.url));

/** Why the browser tests cannot run here, or null when they can. */
export function browserUnavailableReason(): string | null {
  if (!existsSync(CHROMIUM_PATH)) return `Chromium not found at ${CHROMIUM_PATH}: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH`;
  if (!consoleIsBuilt(defaultConsoleRoot())) return 'the console is not built (dist/web/index.html missing): run `npm run build:web`';
  return null;
}

export interface DeskProcess {
  url: string;
  webhookUrl: string;
  adminToken: string;
  emulator: WhatsAppEmulator;
  output(): string;
  stop(): Promise<void>;
}

/** `node src/main.ts` with loopback settings: the same start-up path as `npm start`, minus the compile step. */
export async function startDeskProcess(env: Record<string, string> = {}): Promise<DeskProcess> {
  const emulator = await startWhatsAppEmulator();
  const adminToken = `console-admin-${randomBytes(16).toString('hex')}`;
  let desk: DeskChild;
  try {
    desk = await startDeskChild({
      LOG_LEVEL: 'info',
      DATA_DIR: 'memory',
      ADMIN_TOKEN: adminToken,
      WHATSAPP_API_URL: emulator.url,
      WHATSAPP_PHONE_NUMBER_ID: emulator.phoneNumberId,
      WHATSAPP_ACCESS_TOKEN: emulator.accessToken,
      WHATSAPP_APP_SECRET: emulator.appSecret,
      WHATSAPP_VERIFY_TOKEN: 'console-verify-token',
      // The template picker lists the catalog the desk syncs from the emulator's WABA.
      WHATSAPP_BUSINESS_ACCOUNT_ID: emulator.businessAccountId,
      ...env,
    });
  } catch (error) {
    await emulator.close();
    throw error;
  }
  return {
    url: desk.url,
    webhookUrl: desk.webhookUrl,
    adminToken,
    emulator,
    output: desk.output,
    async stop() {
      await desk.stop(10_000);
      await emulator.close();
    },
  };
}

/** Headless Chromium with the flags this kind of machine needs (no sandbox as root, no background network). */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Lets a test cut the page's live connection: every WebSocket the page opens
 * is kept in window.__sockets, and while window.__offline is set a new one
 * goes to a closed port instead (as when the network is down). A string, not
 * a function: the test runner's name helpers do not exist in the page.
 */
const SOCKET_SPY = `(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.__offline = false;
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(window.__offline ? 'ws://127.0.0.1:9/' : url, protocols);
      window.__sockets.push(this);
    }
  };
})()`;

/** Closes the page's sockets and keeps new ones from connecting until restoreNetwork. */
export async function cutNetwork(page: Page): Promise<void> {
  await page.evaluate(`window.__offline = true; window.__sockets.forEach((s) => s.close())`);
}

export async function restoreNetwork(page: Page): Promise<void> {
  await page.evaluate(`window.__offline = false`);
}

export async function newConsolePage(browser: Browser, baseUrl: string, viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, baseURL: baseUrl });
  await context.addInitScript(SOCKET_SPY);
  const page = await context.newPage();
  // Every step is bounded: a missing element fails in seconds, not at the test's end.
  page.setDefaultTimeout(10_000);
  return { context, page };
}

export async function signInWithToken(page: Page, token: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Status').waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOT_DIR}${name}.png` });
}
