// The agent console in a real browser (Debian's Chromium through
// playwright-core) against the desk started as a user starts it and the
// WhatsApp emulator: an admin and agents in separate browser contexts
// walking the story end to end. Screenshots of each screen land in
// test-artifacts/console/ (git-ignored).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailableReason, cutNetwork, launchBrowser, newConsolePage, restoreNetwork, screenshot, signInWithToken, startDeskProcess, type DeskProcess } from './console/harness.js';

const unavailable = browserUnavailableReason();
if (unavailable) {
  // CI must run these: failing loudly there beats a green run that tested no browser.
  if (process.env.CI) throw new Error(`Browser tests cannot run in CI: ${unavailable}`);
  console.warn(`\n*** SKIPPING the console browser tests: ${unavailable} ***\n`);
}

async function createAgent(admin: Page, name: string, email: string, password: string): Promise<void> {
  await admin.goto('/#/admin');
  const form = admin.getByRole('form', { name: 'New agent' });
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Create agent' }).click();
  // The integration token is shown once; agents sign in with their password.
  await admin.getByLabel('New access token').waitFor();
  await admin.getByRole('button', { name: 'Done' }).click();
}

async function signInWithPassword(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Status').waitFor();
}

async function graphqlAsAdmin(desk: DeskProcess, query: string, variables: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const response = await fetch(`${desk.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${desk.adminToken}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown };
  if (body.errors || !body.data) throw new Error(`GraphQL failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function goOnline(page: Page): Promise<void> {
  await page.getByLabel('Status').selectOption('ONLINE');
  await expect.poll(() => page.getByLabel('Status').inputValue()).toBe('ONLINE');
}

const PARCEL_PNG = readFileSync(new URL('./fixtures/console/parcel.png', import.meta.url));
const INVOICE_PDF = readFileSync(new URL('./fixtures/console/invoice.pdf', import.meta.url));
/** The SHA-256 Meta puts in the webhook (base64). */
const webhookSha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');

const ANA_PASSWORD = 'ana-password-12345';
const BOB_PASSWORD = 'bob-password-12345';

describe.skipIf(unavailable !== null && !process.env.CI)('agent console in Chromium', () => {
  let desk: DeskProcess;
  let browser: Browser;

  beforeAll(async () => {
    [desk, browser] = await Promise.all([startDeskProcess(), launchBrowser()]);
  }, 120_000);

  // A failed step leaves its pages open: keep what each showed.
  afterEach(async (context) => {
    if (context.task.result?.state !== 'fail' || !browser) return;
    let n = 0;
    for (const page of browser.contexts().flatMap((c) => c.pages())) await screenshot(page, `failed-${++n}`).catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await desk?.stop();
  });

  it('serves the console at / with cacheable hashed assets, and says so at start-up', async () => {
    expect(desk.output()).toContain(`Agent console at ${desk.url}/`);
    const index = await fetch(`${desk.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const asset = html.match(/\/assets\/[\w.-]+\.js/)?.[0];
    expect(asset).toBeTruthy();
    const script = await fetch(`${desk.url}${asset}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toMatch(/max-age=31536000.*immutable/);
    expect((await fetch(`${desk.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${desk.url}/assets/nope.js`)).status).toBe(404);
  });

  it('a bad access token is refused in words', async () => {
    const { context, page } = await newConsolePage(browser, desk.url);
    await page.goto('/');
    await page.getByLabel('Access token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');
    await context.close();
  });

  it('admin and agents: live inbox, reply with ticks, note, transfer, resolve with survey, template picker, dashboard', async () => {
    const admin = await newConsolePage(browser, desk.url);
    await admin.page.goto('/');
    await screenshot(admin.page, 'sign-in');
    await signInWithToken(admin.page, desk.adminToken);

    await createAgent(admin.page, 'Ana Agent', 'ana@example.com', ANA_PASSWORD);
    await createAgent(admin.page, 'Bob Agent', 'bob@example.com', BOB_PASSWORD);
    await expect.poll(() => admin.page.getByRole('table').first().textContent()).toContain('Bob Agent');
    // An API error in words, by its extensions.code (CONFLICT), with the desk's detail.
    const newAgent = admin.page.getByRole('form', { name: 'New agent' });
    await newAgent.getByLabel('Name').fill('Ana Again');
    await newAgent.getByLabel('Email').fill('ana@example.com');
    await newAgent.getByRole('button', { name: 'Create agent' }).click();
    await expect.poll(() => newAgent.getByRole('alert').textContent()).toMatch(/^That could not be done in its current state: .*already exists/);
    await screenshot(admin.page, 'admin-agents');

    const ana = await newConsolePage(browser, desk.url);
    await signInWithPassword(ana.page, 'ana@example.com', ANA_PASSWORD);
    await goOnline(ana.page);
    const anaList = ana.page.getByRole('list', { name: 'Conversations' });

    // A signed webhook: the conversation shows up in Ana's list without a reload.
    const postedAt = Date.now();
    await desk.emulator.postInbound(desk.webhookUrl, { type: 'text', text: 'Hello, my order is late', from: '15550001111', name: 'Carla Customer' });
    await anaList.getByText('Carla Customer').waitFor({ timeout: 2_000 });
    expect(Date.now() - postedAt).toBeLessThan(2_000);

    await anaList.getByText('Carla Customer').click();
    const messages = ana.page.getByRole('list', { name: 'Messages' });
    await messages.getByText('Hello, my order is late').waitFor();
    // The 24-hour window's time left, counted from the customer's message.
    await ana.page.getByText(/^Window closes in 2[34] h \d+ m$/).waitFor();

    // Reply with Enter; the emulator receives it; ticks follow the status webhooks.
    await ana.page.getByLabel('Reply').fill('Sorry about that, checking now.');
    await ana.page.getByLabel('Reply').press('Enter');
    const reply = await waitForSentText(desk, 'Sorry about that, checking now.');
    const bubble = messages.getByRole('listitem').filter({ hasText: 'Sorry about that, checking now.' });
    await bubble.getByRole('img', { name: 'Sent' }).waitFor();
    await desk.emulator.postStatus(desk.webhookUrl, { whatsappId: reply.whatsappId, status: 'delivered' });
    await bubble.getByRole('img', { name: 'Delivered' }).waitFor();
    await desk.emulator.postStatus(desk.webhookUrl, { whatsappId: reply.whatsappId, status: 'read' });
    await bubble.getByRole('img', { name: 'Read' }).waitFor();

    // A note: set apart, never sent.
    const sentBefore = desk.emulator.sent.length;
    await ana.page.getByLabel('Reply').fill('Customer is a VIP');
    await ana.page.getByRole('button', { name: 'Add note' }).click();
    await messages.getByRole('listitem').filter({ hasText: 'Customer is a VIP' }).getByText('Note', { exact: true }).waitFor();
    expect(desk.emulator.sent.length).toBe(sentBefore);

    // Files from the customer: the photo shows in the conversation, the PDF is a download link, both through signed URLs.
    const photo = desk.emulator.media.host({ bytes: PARCEL_PNG, mimeType: 'image/png' });
    const invoice = desk.emulator.media.host({ bytes: INVOICE_PDF, mimeType: 'application/pdf', filename: 'invoice-1042.pdf' });
    await desk.emulator.postInbound(desk.webhookUrl, [
      { type: 'image', from: '15550001111', name: 'Carla Customer', mediaId: photo.id, mimeType: 'image/png', sha256: webhookSha(PARCEL_PNG), caption: 'The box arrived like this' },
      { type: 'document', from: '15550001111', name: 'Carla Customer', mediaId: invoice.id, mimeType: 'application/pdf', sha256: webhookSha(INVOICE_PDF), filename: 'invoice-1042.pdf' },
    ]);
    const image = messages.getByRole('img', { name: 'The box arrived like this' });
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 5_000 }).toBe(96);
    const document = messages.getByRole('link', { name: /invoice-1042\.pdf/ });
    const served = await ana.page.request.get((await document.getAttribute('href'))!);
    expect(served.status()).toBe(200);
    expect(served.headers()['content-type']).toBe('application/pdf');
    expect(Buffer.compare(await served.body(), INVOICE_PDF)).toBe(0);

    // A file from the agent: uploaded to Meta, sent by its id, shown in the conversation.
    await ana.page.getByLabel('Attach a file').setInputFiles({ name: 'label.png', mimeType: 'image/png', buffer: PARCEL_PNG });
    await expect.poll(() => desk.emulator.sent.some((s) => s.to === '15550001111' && s.type === 'image'), { timeout: 5_000 }).toBe(true);
    await messages.getByRole('img', { name: 'label.png' }).waitFor();
    await expect.poll(() => messages.getByRole('img', { name: 'label.png' }).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(96);
    await screenshot(ana.page, 'conversation');

    // Canned responses: an admin writes one; the agent types "/" and its shortcut.
    await admin.page.goto('/#/admin/canned');
    const newCanned = admin.page.getByRole('form', { name: 'New canned response' });
    await newCanned.getByLabel('Shortcut').fill('late');
    await newCanned.getByLabel('Text').fill('Your parcel is on its way and arrives tomorrow.');
    await newCanned.getByRole('button', { name: 'Add canned response' }).click();
    await admin.page.getByRole('cell', { name: '/late', exact: true }).waitFor();
    await ana.page.getByLabel('Reply').fill('/la');
    await ana.page.getByRole('option', { name: /\/late/ }).waitFor();
    await ana.page.getByLabel('Reply').press('Enter');
    await expect.poll(() => ana.page.getByLabel('Reply').inputValue()).toBe('Your parcel is on its way and arrives tomorrow.');

    // The session ends while Ana types (an admin sets a new password): the desk closes her socket (4403),
    // the console asks over HTTP, gets 401 and goes back to sign-in by itself; the draft is kept.
    await ana.page.getByLabel('Reply').fill('Half-written answer');
    const { agents } = (await graphqlAsAdmin(desk, '{ agents { id email } }')) as { agents: { id: string; email: string }[] };
    const anaId = agents.find((a) => a.email === 'ana@example.com')!.id;
    await graphqlAsAdmin(desk, 'mutation($id: ID!, $p: String!) { updateAgent(id: $id, input: { password: $p }) { id } }', { id: anaId, p: `${ANA_PASSWORD}-2` });
    await ana.page.getByRole('button', { name: 'Sign in' }).waitFor();
    await expect.poll(() => ana.page.getByRole('status').textContent()).toContain('session has ended');
    await ana.page.getByLabel('Email').fill('ana@example.com');
    await ana.page.getByLabel('Password').fill(`${ANA_PASSWORD}-2`);
    await ana.page.getByRole('button', { name: 'Sign in' }).click();
    await goOnline(ana.page);
    await anaList.getByText('Carla Customer').click();
    await expect.poll(() => ana.page.getByLabel('Reply').inputValue()).toBe('Half-written answer');
    await ana.page.getByLabel('Reply').fill('');

    // Transfer to Bob: it leaves Ana's list and enters Bob's.
    const bob = await newConsolePage(browser, desk.url);
    await signInWithPassword(bob.page, 'bob@example.com', BOB_PASSWORD);
    await goOnline(bob.page);
    const bobList = bob.page.getByRole('list', { name: 'Conversations' });
    await ana.page.getByRole('button', { name: 'Transfer', exact: true }).click();
    const picker = ana.page.getByLabel('Transfer to');
    await picker.selectOption((await picker.locator('option', { hasText: 'Bob Agent' }).getAttribute('value')) ?? '');
    await ana.page.getByLabel('Note for the next agent').fill('over to you');
    await ana.page.getByRole('button', { name: 'Transfer conversation' }).click();
    await bobList.getByText('Carla Customer').waitFor({ timeout: 2_000 });
    await anaList.getByText('Carla Customer').waitFor({ state: 'detached', timeout: 2_000 });
    await bobList.getByText('Carla Customer').click();
    await bob.page.getByRole('list', { name: 'Messages' }).getByText('Transferred to Bob Agent: over to you').waitFor();

    // Bob resolves: the survey goes out.
    await bob.page.getByRole('button', { name: 'Resolve' }).click();
    await expect.poll(() => desk.emulator.sent.some((s) => s.to === '15550001111' && s.type === 'interactive'), { timeout: 5_000 }).toBe(true);
    await bobList.getByText('Carla Customer').waitFor({ state: 'detached', timeout: 2_000 });
    // The customer rates 5 on the survey's list.
    await desk.emulator.postInbound(desk.webhookUrl, { type: 'list_reply', replyId: 'rating-5', title: 'Excellent', from: '15550001111', name: 'Carla Customer' });

    // A customer whose last message is 25 hours old: the template picker replaces the composer,
    // lists the approved templates of the catalog the desk synced, and sends one with its parameters.
    desk.emulator.media.templates = [
      { name: 'order_update', language: 'en_US', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'Hello {{1}}, your order {{2}} is on its way.' }] },
      { name: 'spring_sale', language: 'en_US', status: 'REJECTED', category: 'MARKETING', components: [{ type: 'BODY', text: 'Sale!' }] },
    ];
    await graphqlAsAdmin(desk, 'mutation { syncTemplates { templates } }');
    await desk.emulator.postInbound(desk.webhookUrl, { type: 'text', text: 'Are you there?', from: '15550002222', name: 'Dora Late', timestamp: Date.now() - 25 * 3_600_000 });
    await anaList.getByText('Dora Late').click();
    const templatePicker = ana.page.getByRole('form', { name: 'Template picker' });
    await templatePicker.waitFor();
    expect(await ana.page.getByLabel('Reply').count()).toBe(0);
    const templateSelect = templatePicker.getByRole('combobox', { name: /^Template/ });
    await expect.poll(() => templateSelect.locator('option').allTextContents()).toEqual(['Choose an approved template…', 'order_update · en_US (utility)']);
    await templateSelect.selectOption('order_update:en_US');
    await templatePicker.getByLabel('{{1}}').fill('Dora');
    await templatePicker.getByLabel('{{2}}').fill('#1042');
    await expect.poll(() => templatePicker.getByLabel('Preview').textContent()).toBe('Hello Dora, your order #1042 is on its way.');
    await screenshot(ana.page, 'template-picker');

    // Every control on this screen is reachable with Tab, in order.
    await ana.page.locator('body').focus();
    const reached = new Set<string>();
    for (let i = 0; i < 40; i++) {
      await ana.page.keyboard.press('Tab');
      reached.add(await ana.page.evaluate(`(() => { const e = document.activeElement; return (e.getAttribute('aria-label') || e.labels?.[0]?.textContent || e.textContent || '').trim(); })()`));
    }
    for (const name of ['Status', 'Search conversations', 'Transfer', 'Resolve', 'Template', '{{1}}', 'Send template']) expect([...reached].some((r) => r.startsWith(name)), `Tab reaches "${name}"; reached ${[...reached].join(' | ')}`).toBe(true);
    expect([...reached].some((r) => r.includes('Dora Late'))).toBe(true);

    await templatePicker.getByRole('button', { name: 'Send template' }).click();
    await expect.poll(() => desk.emulator.sent.find((s) => s.to === '15550002222' && s.type === 'template')?.body['template'], { timeout: 5_000 }).toMatchObject({
      name: 'order_update',
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Dora' }, { type: 'text', text: '#1042' }] }],
    });
    await ana.page.getByRole('list', { name: 'Messages' }).getByText('Hello Dora, your order #1042 is on its way.').waitFor();

    // The dashboard draws from what just happened.
    await admin.page.goto('/#/dashboard');
    const volume = admin.page.getByRole('region', { name: 'Volume' });
    await expect.poll(async () => Number((await volume.locator('dd').first().textContent()) ?? 0)).toBeGreaterThanOrEqual(2);
    await admin.page.getByRole('region', { name: 'Volume by hour' }).locator('canvas').waitFor();
    await expect.poll(() => admin.page.getByRole('region', { name: 'CSAT' }).textContent()).toContain('5.00 / 5');
    // The ratings chart: one 5 from Carla.
    await expect.poll(() => admin.page.getByRole('region', { name: 'Ratings' }).getByRole('img').getAttribute('aria-label')).toBe('Ratings: 0 × 1, 0 × 2, 0 × 3, 0 × 4, 1 × 5');
    await screenshot(admin.page, 'dashboard');
    // Another range: nothing happened a month ago.
    await admin.page.getByLabel('Range').selectOption('custom');
    const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
    await admin.page.getByLabel('From', { exact: true }).fill(monthAgo);
    await admin.page.getByLabel('To', { exact: true }).fill(monthAgo);
    await expect.poll(() => admin.page.getByRole('region', { name: 'CSAT' }).textContent()).toContain('No ratings in this range');
    await admin.page.getByRole('link', { name: 'Admin' }).click();
    await admin.page.getByRole('link', { name: 'Integrations' }).click();
    await admin.page.getByRole('heading', { name: 'Dead letters' }).waitFor();
    await screenshot(admin.page, 'admin-integrations');
    await admin.page.getByRole('link', { name: 'Canned responses' }).click();
    await screenshot(admin.page, 'admin-canned-responses');

    // The socket drops: "Reconnecting…"; a conversation that starts meanwhile is not pushed, and
    // appears once the socket is back, because the console refetches what it shows.
    await admin.page.goto('/#/');
    const adminList = admin.page.getByRole('list', { name: 'Conversations' });
    await adminList.getByText('Dora Late').waitFor();
    await cutNetwork(admin.page);
    await admin.page.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor();
    await desk.emulator.postInbound(desk.webhookUrl, { type: 'text', text: 'Anyone?', from: '15550003333', name: 'Eve Offline' });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await adminList.getByText('Eve Offline').count()).toBe(0);
    await restoreNetwork(admin.page);
    await adminList.getByText('Eve Offline').waitFor({ timeout: 15_000 });
    await admin.page.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor({ state: 'detached' });

    // Phone width: one pane at a time.
    // Phone width, signed in with the keyboard only.
    const phone = await newConsolePage(browser, desk.url, { width: 390, height: 844 });
    await phone.page.goto('/');
    await phone.page.getByLabel('Email').focus();
    await phone.page.keyboard.type('ana@example.com');
    await phone.page.keyboard.press('Tab');
    await phone.page.keyboard.type(`${ANA_PASSWORD}-2`);
    await phone.page.keyboard.press('Enter');
    await phone.page.getByLabel('Status').waitFor();
    await screenshot(phone.page, 'phone-inbox');
    await phone.page.getByRole('list', { name: 'Conversations' }).getByText('Dora Late').click();
    await phone.page.getByRole('list', { name: 'Messages' }).waitFor();
    expect(await phone.page.getByRole('list', { name: 'Conversations' }).isVisible()).toBe(false);
    await screenshot(phone.page, 'phone-conversation');

    for (const c of [admin, ana, bob, phone]) await c.context.close();
  }, 120_000);
});

async function waitForSentText(desk: DeskProcess, text: string) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = desk.emulator.sent.find((s) => (s.body as { text?: { body?: string } }).text?.body === text);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`the emulator never received "${text}"; got ${JSON.stringify(desk.emulator.sent.map((s) => s.body))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
