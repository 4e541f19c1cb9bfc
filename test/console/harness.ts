// The console as a user meets it: the desk started as `npm start` starts it
// (its own process, the built console in dist/web), the WhatsApp Cloud API
// emulator on loopback, and Debian's Chromium driven by playwright-core.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { consoleIsBuilt, defaultConsoleRoot } from '../../src/http/console.js';
import { startWhatsAppEmulator, type WhatsAppEmulator } from '../emulators/whatsappCloud.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

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
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      DATA_DIR: 'memory',
      ADMIN_TOKEN: adminToken,
      WHATSAPP_API_URL: emulator.url,
      WHATSAPP_PHONE_NUMBER_ID: emulator.phoneNumberId,
      WHATSAPP_ACCESS_TOKEN: emulator.accessToken,
      WHATSAPP_APP_SECRET: emulator.appSecret,
      WHATSAPP_VERIFY_TOKEN: 'console-verify-token',
      ...env,
    },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));

  // Generous: on a busy shared machine loading the desk under tsx alone can take tens of seconds.
  const deadline = Date.now() + 90_000;
  let url: string | null = null;
  while (!url) {
    const match = output.match(/GraphQL ready at (http:\/\/[^\s"]+)\/graphql/);
    if (match) url = match[1]!;
    else if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      await emulator.close();
      throw new Error(`the desk did not start:\n${output}`);
    } else await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    webhookUrl: `${url}/webhooks/whatsapp`,
    adminToken,
    emulator,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
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

export async function newConsolePage(browser: Browser, baseUrl: string, viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, baseURL: baseUrl });
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
