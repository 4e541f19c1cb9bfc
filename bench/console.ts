// The console's figures (bench/README.md, "Agent console"):
//   1. JavaScript at first load, gzipped: the entry script and the chunks
//      index.html preloads (the dashboard and admin chunks load on demand).
//   2. An inbox of 1,000 conversations: time until the list shows, then frame
//      times while it scrolls top to bottom (requestAnimationFrame deltas in
//      the page), against the same page's idle frames as a same-run baseline.
//   3. Webhook → visible: a signed inbound webhook posted to the desk until
//      its text is in the open conversation's DOM, over 50 messages.
//
//   npm run bench -- console [--conversations 1000] [--messages 50] [--record]
//
// The results are compared with bench/recorded.json (regression guard, bench/support/recorded.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { guardAgainstRegressions } from './support/recorded.js';
import { gzipSync } from 'node:zlib';
import { defaultConsoleRoot } from '../src/http/console.js';
import { browserUnavailableReason, launchBrowser, newConsolePage, signInWithToken, startDeskProcess } from '../test/console/harness.js';

const { values } = parseArgs({
  options: { conversations: { type: 'string', default: '1000' }, messages: { type: 'string', default: '50' }, record: { type: 'boolean', default: false } },
});
const CONVERSATIONS = Number(values.conversations);
const MESSAGES = Number(values.messages);

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] ?? 0 };
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

/** In the page: 120 idle frames, then 300 frames scrolling the list top to bottom; requestAnimationFrame deltas. */
const FRAME_SCRIPT = `(async () => {
  function measure(frames, step) {
    return new Promise((resolve) => {
      const deltas = [];
      let last = performance.now();
      let i = 0;
      function tick(t) {
        deltas.push(t - last);
        last = t;
        step(i++);
        if (i < frames) requestAnimationFrame(tick);
        else resolve(deltas.slice(1));
      }
      requestAnimationFrame(tick);
    });
  }
  const scroller = document.querySelector('.list-scroll');
  const idle = await measure(120, () => undefined);
  const distance = scroller.scrollHeight - scroller.clientHeight;
  let rowsInDom = 0;
  const scrolling = await measure(300, (i) => {
    scroller.scrollTop = (distance * (i + 1)) / 300;
    rowsInDom = Math.max(rowsInDom, scroller.querySelectorAll('li').length);
  });
  return { idle, scrolling, distance, rowsInDom };
})()`;

function firstLoadBytes() {
  const root = defaultConsoleRoot();
  const html = readFileSync(join(root, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  let js = 0;
  let css = 0;
  for (const file of files) {
    const gz = gzipSync(readFileSync(join(root, file))).length;
    if (file.endsWith('.js')) js += gz;
    else css += gz;
  }
  return { files, jsGzip: js, cssGzip: css, htmlGzip: gzipSync(html).length };
}

async function main() {
  const unavailable = browserUnavailableReason();
  if (unavailable) throw new Error(unavailable);

  const load = firstLoadBytes();
  console.log(`first load: ${load.files.length} files; JavaScript ${(load.jsGzip / 1024).toFixed(1)} KiB gzipped, CSS ${(load.cssGzip / 1024).toFixed(1)} KiB, HTML ${(load.htmlGzip / 1024).toFixed(1)} KiB`);

  const desk = await startDeskProcess({ ASSIGNMENT_POLICY: 'manual' });
  const browser = await launchBrowser();
  try {
    // 1,000 customers writing at once, 50 per webhook (as Meta batches).
    const started = Date.now();
    for (let i = 0; i < CONVERSATIONS; i += 50) {
      const batch = Array.from({ length: Math.min(50, CONVERSATIONS - i) }, (_, j) => ({
        type: 'text' as const,
        text: `Question number ${i + j}`,
        from: String(15550100000 + i + j),
        name: `Customer ${i + j}`,
      }));
      await desk.emulator.postInbound(desk.webhookUrl, batch);
    }
    console.log(`seeded ${CONVERSATIONS} conversations in ${Date.now() - started} ms`);

    const { page } = await newConsolePage(browser, desk.url);
    const shown = Date.now();
    await signInWithToken(page, desk.adminToken);
    const list = page.getByRole('list', { name: 'Conversations' });
    await list.getByRole('listitem').first().waitFor();
    const firstScreen = Date.now() - shown;
    // Every page fetched: the count stops saying "+".
    // Pages of 100 load as the list nears its end: scroll down until every conversation the tab counts is in the list.
    const countLabel = page.locator('[role=tab][aria-selected=true] .count');
    await countLabel.waitFor();
    const loadedAll = `document.querySelector('ul[aria-label=Conversations] li')?.getAttribute('aria-setsize') === document.querySelector('[role=tab][aria-selected=true] .count')?.textContent`;
    for (let tries = 0; !(await page.evaluate(loadedAll)); tries++) {
      if (tries > 600) throw new Error('the inbox never finished loading its pages');
      await page.evaluate(`document.querySelector('.list-scroll').scrollTop = 1e9`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const allLoaded = Date.now() - shown;
    await page.evaluate(`document.querySelector('.list-scroll').scrollTop = 0`);
    const count = await page.locator('[role=tab][aria-selected=true] .count').textContent();
    const rendered = await list.getByRole('listitem').count();

    // A string, not a function: tsx's name helpers do not exist in the page.
    const frames = (await page.evaluate(FRAME_SCRIPT)) as { idle: number[]; scrolling: number[]; distance: number; rowsInDom: number };
    const idle = summary(frames.idle);
    const scrolling = summary(frames.scrolling);
    const long = frames.scrolling.filter((d) => d > 50).length;
    console.log(`inbox: first rows after ${firstScreen} ms, all ${count} after ${allLoaded} ms (sign-in included); ${rendered} rows in the DOM`);
    console.log(
      `scroll ${frames.distance} px in 300 frames: frame p50 ${fmt(scrolling.p50)}, p95 ${fmt(scrolling.p95)}, p99 ${fmt(scrolling.p99)}, max ${fmt(scrolling.max)}; ${long} frames over 50 ms; rows in the DOM while scrolling: ${frames.rowsInDom}`,
    );
    console.log(`idle baseline (same page, same run): frame p50 ${fmt(idle.p50)}, p95 ${fmt(idle.p95)}, max ${fmt(idle.max)}; ratio p50 ${(scrolling.p50 / idle.p50).toFixed(2)}×, p95 ${(scrolling.p95 / idle.p95).toFixed(2)}×`);

    // Webhook → visible: one conversation open, 50 customer messages one after another.
    await list.getByText('Customer 0', { exact: true }).click();
    const messages = page.getByRole('list', { name: 'Messages' });
    await messages.getByText('Question number 0').waitFor();
    const latencies: number[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      const text = `Follow-up ${i} ${Date.now()}`;
      const appeared = page.waitForFunction(
        `document.querySelector('[aria-label="Messages"]')?.textContent?.includes(${JSON.stringify(text)}) ? performance.timeOrigin + performance.now() : false`,
        undefined,
        { polling: 'raf', timeout: 10_000 },
      );
      const postedAt = Date.now();
      await desk.emulator.postInbound(desk.webhookUrl, { type: 'text', text, from: '15550100000', name: 'Customer 0' });
      const at = (await (await appeared).jsonValue()) as number;
      latencies.push(at - postedAt);
    }
    const visible = summary(latencies);
    console.log(`webhook → visible over ${MESSAGES} messages: p50 ${fmt(visible.p50)}, p99 ${fmt(visible.p99)}, max ${fmt(visible.max)}`);
    guardAgainstRegressions(
      'console',
      {
        'JavaScript at first load (gzipped)': { value: load.jsGzip / 1024, better: 'lower', unit: 'KiB' },
        'scroll frame p95 / idle frame p95': { value: scrolling.p95 / idle.p95, better: 'lower', unit: '×' },
        'webhook → visible p50': { value: visible.p50, better: 'lower', unit: 'ms' },
      },
      { record: values.record },
    );
  } finally {
    await browser.close();
    await desk.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
