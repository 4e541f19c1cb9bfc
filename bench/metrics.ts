// bench/metrics: the support-metrics query over 100,000 conversations and
// 1,000,000 messages (plus their event log) on the embedded engine.
//
//   npx tsx bench/metrics.ts              # full size
//   npx tsx bench/metrics.ts --scale 0.1  # 10,000 conversations, 100,000 messages
//   options: --runs 5  --seed 1
//   --record: write this run's medians to bench/recorded.json as the figures to guard
//
// Regression guard (full size only): the medians are compared with
// bench/recorded.json; one more than 2× worse prints `!!! REGRESSION` and exits 1.
//
// The history spans 90 days (2025-01-01 → 2025-04-01 UTC); the timed query is
// the last month, March 2025, so the utilization replay also has two months of
// events before the range. The whole 90 days is timed as well, as a worst case.
// A baseline is measured in the same run: one countDocuments over each of the
// two big collections on a field no index covers (one full pass of the engine
// over them, whatever the range indexes answer), so the figure can be read as
// a ratio on a noisy machine.
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { parseBusinessHours } from '../src/domain/businessHours.js';
import type { ConversationEventDoc, MessageDoc } from '../src/domain/model.js';
import { computeSupportMetrics, type SupportMetrics } from '../src/metrics/supportMetrics.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { createEmbeddedStore } from '../src/store/embedded.js';
import { HISTORY_END, HISTORY_START, populateHistory } from './support/history.js';
import { guardAgainstRegressions, type Figure } from './support/recorded.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    runs: { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    record: { type: 'boolean', default: false },
  },
});
const scale = Number(args.scale);
const runs = Math.max(1, Number(args.runs));
const MONTH = { from: new Date(Date.UTC(2025, 2, 1)), to: new Date(Date.UTC(2025, 3, 1)) };
const WHOLE = { from: new Date(HISTORY_START), to: new Date(HISTORY_END) };
/** The targets (issue #16). */
const TARGET_MS = { 'March (one month)': 1_000, 'all 90 days': 2_000 } as const;
const OPTIONS = { timeZone: 'America/New_York', businessHours: parseBusinessHours('mon-fri 09:00-17:30; sat 10:00-14:00', 'America/New_York') };

/** Wall time, and this process's CPU time (user + system): on a shared machine the second is the steadier figure. */
async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const value = await fn();
  const cpu = process.cpuUsage(cpuBefore);
  return { ms: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000, value };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1]!;
}

async function main() {
  const cpu = cpus();
  console.log(`machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${platform()} ${release()}, Node ${process.version}`);
  const store = createEmbeddedStore();
  const built = await time(() => populateHistory(store, { scale, seed: Number(args.seed) }));
  console.log(
    `history: ${built.value.conversations.toLocaleString('en')} conversations, ${built.value.messages.toLocaleString('en')} messages, ${built.value.events.toLocaleString('en')} events, built in ${(built.ms / 1000).toFixed(1)} s`,
  );

  const messages = store.collection<MessageDoc>(COLLECTIONS.messages);
  const events = store.collection<ConversationEventDoc>(COLLECTIONS.conversationEvents);
  // Before the range indexes this was the same count over the range ({direction, author, createdAt} and {at}),
  // which was then one full pass too; the indexes now answer those counts without reading a document.
  const baseline = () => async () => {
    await messages.countDocuments({ status: { $ne: 'NONE' } });
    await events.countDocuments({ cycle: { $ne: -1 } });
  };

  const report: string[] = [];
  const figures: Record<string, Figure> = {};
  for (const [label, range] of [
    ['March (one month)', MONTH],
    ['all 90 days', WHOLE],
  ] as const) {
    await computeSupportMetrics(store, range, OPTIONS); // warm-up
    const metricsMs: number[] = [];
    const metricsCpuMs: number[] = [];
    const baselineMs: number[] = [];
    const baselineCpuMs: number[] = [];
    let last: SupportMetrics | null = null;
    for (let i = 0; i < runs; i++) {
      const base = await time(baseline());
      baselineMs.push(base.ms);
      baselineCpuMs.push(base.cpuMs);
      const run = await time(() => computeSupportMetrics(store, range, OPTIONS));
      metricsMs.push(run.ms);
      metricsCpuMs.push(run.cpuMs);
      last = run.value;
    }
    const m = median(metricsMs);
    const b = median(baselineMs);
    const mc = median(metricsCpuMs);
    const bc = median(baselineCpuMs);
    const summary = last!;
    console.log(`\n${label}: ${summary.conversationsOpened.toLocaleString('en')} opened, ${summary.firstResponseTime.count.toLocaleString('en')} first responses, ${summary.volumeByHour.reduce((s, v) => s + v.messages, 0).toLocaleString('en')} inbound messages in range`);
    console.log(`  computeSupportMetrics: median ${m.toFixed(0)} ms wall, ${mc.toFixed(0)} ms CPU, of ${runs} runs (wall ${metricsMs.map((v) => v.toFixed(0)).join(', ')})`);
    console.log(`  baseline (countDocuments scanning messages + events): median ${b.toFixed(0)} ms wall, ${bc.toFixed(0)} ms CPU → ratio ${(m / b).toFixed(2)}× wall, ${(mc / bc).toFixed(2)}× CPU`);
    if (scale === 1) {
      const target = TARGET_MS[label];
      console.log(`  target < ${target.toLocaleString('en')} ms (wall): ${m < target ? 'met' : '!!! MISSED'}`);
      figures[`${label}: computeSupportMetrics median (wall)`] = { value: m, better: 'lower', unit: 'ms' };
      figures[`${label}: ratio to the scan baseline (CPU)`] = { value: mc / bc, better: 'lower', unit: '×' };
    }
    report.push(`| ${label} | ${m.toFixed(0)} ms | ${mc.toFixed(0)} ms | ${b.toFixed(0)} ms | ${bc.toFixed(0)} ms | ${(mc / bc).toFixed(2)}× |`);
  }
  const peakRss = process.resourceUsage().maxRSS / 1024;
  console.log(`\npeak RSS: ${peakRss.toFixed(0)} MiB`);
  console.log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
  console.log('\n| range | metrics wall | metrics CPU | baseline wall | baseline CPU | ratio (CPU) |\n|---|---|---|---|---|---|');
  for (const line of report) console.log(line);
  // Only the full size is recorded and guarded.
  if (scale === 1) guardAgainstRegressions('metrics', figures, { record: args.record });
}

await main();
