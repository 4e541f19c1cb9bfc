// bench/durable-startup: start-up time and resident memory of the durable
// embedded engine holding 100,000 conversations and 1,000,000 messages (the
// metrics bench's history, bench/support/history.ts, with its event log).
//
//   npx tsx bench/durable-startup.ts              # full size, 3 runs
//   npx tsx bench/durable-startup.ts --scale 0.1  # 10,000 conversations, 100,000 messages
//   options: --runs 3  --seed 1  --data-dir DIR (kept afterwards; built only if empty)
//            --record (at full size: write the results to bench/recorded.json as the figures to guard)
//
// Phases, each in a fresh Node process so its memory is its own:
//   build   the history written through the durable store into DATA_DIR;
//   load    a process opens the store (reads everything back, rebuilds the
//           indexes) and reports the time and its memory, right after a full
//           GC and 3 s later (V8 returns freed pages from a background task);
//   desk    the desk itself (`node --import tsx src/main.ts`) on DATA_DIR:
//           time until it prints its GraphQL URL, and its RSS then.
// Same-run baselines: load and desk on an empty data directory, alternated
// with the full one, so figures read as differences on a noisy machine.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openDurableStore } from '../src/store/embeddedDurable.js';
import { startDeskProcess } from '../test/support/deskProcess.js';
import { populateHistory } from './support/history.js';
import { guardAgainstRegressions } from './support/recorded.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    runs: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    'data-dir': { type: 'string' },
    phase: { type: 'string' },
    dir: { type: 'string' },
    record: { type: 'boolean', default: false },
  },
});

const MiB = 2 ** 20;

// ---- the child phases ----

if (args.phase === 'build') {
  const started = performance.now();
  const store = await openDurableStore({ dataDir: args.dir! });
  const size = await populateHistory(store, { scale: Number(args.scale), seed: Number(args.seed) });
  await store.close();
  console.log(JSON.stringify({ ...size, ms: performance.now() - started, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

if (args.phase === 'load') {
  const started = performance.now();
  const store = await openDurableStore({ dataDir: args.dir! });
  const loadMs = performance.now() - started;
  const rssLoaded = process.memoryUsage().rss;
  (globalThis as { gc?: () => void }).gc?.();
  const rssGc = process.memoryUsage().rss;
  // V8 gives the pages a collection freed back to the system from a background
  // task, a moment later: resident memory is read once it has (gc+3 s).
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const memory = process.memoryUsage();
  console.log(
    JSON.stringify({
      documents: store.loaded.documents,
      loadMs,
      rssLoadedMiB: rssLoaded / MiB,
      rssGcMiB: rssGc / MiB,
      rssMiB: memory.rss / MiB,
      heapUsedMiB: memory.heapUsed / MiB,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    }),
  );
  await store.close();
  process.exit(0);
}

// ---- the orchestrator ----

function child(phase: string, dir: string): Promise<Record<string, number>> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', self, '--phase', phase, '--dir', dir, '--scale', args.scale!, '--seed', args.seed!], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0) resolve(JSON.parse(line) as Record<string, number>);
      else reject(new Error(`${phase} exited ${code}: ${out}`));
    });
  });
}

async function deskStart(dir: string): Promise<{ readyMs: number; rssMiB: number }> {
  const started = performance.now();
  const desk = await startDeskProcess({ DATA_DIR: dir, ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef', LOG_LEVEL: 'info' }, { readyTimeoutMs: 300_000 });
  const readyMs = performance.now() - started;
  const status = readFileSync(`/proc/${desk.child.pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  await desk.stop();
  return { readyMs, rssMiB: rssKiB / 1024 };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.ceil(values.length / 2) - 1]!;
const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const cpu = cpus();
console.log(`machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${platform()} ${release()}, Node ${process.version}; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

const keep = Boolean(args['data-dir']);
const full = args['data-dir'] ?? mkdtempSync(join(tmpdir(), 'desk-bench-full-'));
mkdirSync(full, { recursive: true });
const empty = mkdtempSync(join(tmpdir(), 'desk-bench-empty-'));
try {
  const existing = readdirSync(full).includes('data.mdb');
  if (!existing) {
    const built = await child('build', full);
    console.log(
      `build: ${fmt(built.conversations!)} conversations, ${fmt(built.messages!)} messages, ${fmt(built.events!)} events written through the durable store in ${fmt(built.ms! / 1000, 1)} s (peak RSS ${fmt(built.peakRssMiB!)} MiB, generator included)`,
    );
  } else console.log(`build: reusing ${full}`);
  console.log(`data.mdb: ${fmt(statSync(join(full, 'data.mdb')).size / MiB)} MiB`);

  const runs = Math.max(1, Number(args.runs));
  const loads: Record<string, number>[] = [];
  const emptyLoads: Record<string, number>[] = [];
  const desks: { readyMs: number; rssMiB: number }[] = [];
  const emptyDesks: { readyMs: number; rssMiB: number }[] = [];
  for (let run = 0; run < runs; run++) {
    emptyLoads.push(await child('load', empty));
    loads.push(await child('load', full));
    emptyDesks.push(await deskStart(empty));
    desks.push(await deskStart(full));
    const l = loads.at(-1)!;
    const d = desks.at(-1)!;
    console.log(
      `run ${run + 1}: load ${fmt(l.documents!)} documents in ${fmt(l.loadMs!)} ms, RSS ${fmt(l.rssLoadedMiB!)} MiB (${fmt(l.rssGcMiB!)} right after GC, ${fmt(l.rssMiB!)} 3 s later, heap ${fmt(l.heapUsedMiB!)} MiB); ` +
        `empty ${fmt(emptyLoads.at(-1)!.loadMs!)} ms, ${fmt(emptyLoads.at(-1)!.rssMiB!)} MiB | desk ready in ${fmt(d.readyMs)} ms, RSS ${fmt(d.rssMiB)} MiB; empty ${fmt(emptyDesks.at(-1)!.readyMs)} ms, ${fmt(emptyDesks.at(-1)!.rssMiB)} MiB`,
    );
  }
  const m = (rows: Record<string, number>[], key: string) => median(rows.map((row) => row[key]!));
  const md = (rows: { readyMs: number; rssMiB: number }[], key: 'readyMs' | 'rssMiB') => median(rows.map((row) => row[key]));
  console.log(`\nmedians of ${runs} runs; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  console.log('| what | full data | empty data dir (same run) | difference |\n|---|---|---|---|');
  console.log(`| store load (read back + index rebuild) | ${fmt(m(loads, 'loadMs'))} ms | ${fmt(m(emptyLoads, 'loadMs'))} ms | ${fmt(m(loads, 'loadMs') - m(emptyLoads, 'loadMs'))} ms |`);
  console.log(`| RSS right after load | ${fmt(m(loads, 'rssLoadedMiB'))} MiB | ${fmt(m(emptyLoads, 'rssLoadedMiB'))} MiB | ${fmt(m(loads, 'rssLoadedMiB') - m(emptyLoads, 'rssLoadedMiB'))} MiB |`);
  console.log(`| RSS right after a full GC | ${fmt(m(loads, 'rssGcMiB'))} MiB | ${fmt(m(emptyLoads, 'rssGcMiB'))} MiB | ${fmt(m(loads, 'rssGcMiB') - m(emptyLoads, 'rssGcMiB'))} MiB |`);
  console.log(`| RSS 3 s after a full GC | ${fmt(m(loads, 'rssMiB'))} MiB | ${fmt(m(emptyLoads, 'rssMiB'))} MiB | ${fmt(m(loads, 'rssMiB') - m(emptyLoads, 'rssMiB'))} MiB |`);
  console.log(`| JS heap used after GC | ${fmt(m(loads, 'heapUsedMiB'))} MiB | ${fmt(m(emptyLoads, 'heapUsedMiB'))} MiB | ${fmt(m(loads, 'heapUsedMiB') - m(emptyLoads, 'heapUsedMiB'))} MiB |`);
  console.log(`| peak RSS of the load | ${fmt(m(loads, 'peakRssMiB'))} MiB | ${fmt(m(emptyLoads, 'peakRssMiB'))} MiB | |`);
  console.log(`| desk start to "GraphQL ready" (tsx) | ${fmt(md(desks, 'readyMs'))} ms | ${fmt(md(emptyDesks, 'readyMs'))} ms | ${fmt(md(desks, 'readyMs') - md(emptyDesks, 'readyMs'))} ms |`);
  console.log(`| desk RSS when ready | ${fmt(md(desks, 'rssMiB'))} MiB | ${fmt(md(emptyDesks, 'rssMiB'))} MiB | ${fmt(md(desks, 'rssMiB') - md(emptyDesks, 'rssMiB'))} MiB |`);
  if (Number(args.scale) === 1) {
    // Issue 16: at most 1.5 GiB resident for 1M messages, in every run.
    const worst = Math.max(...loads.map((row) => row.rssMiB!), ...desks.map((row) => row.rssMiB));
    console.log(`\nissue 16 target, resident memory <= 1,536 MiB in every run (load settled after GC, desk when ready): worst ${fmt(worst)} MiB, ${worst <= 1536 ? 'met' : '!!! MISSED'}`);
    if (worst > 1536) process.exitCode = 1;
    guardAgainstRegressions(
      'durable-startup',
      {
        'store load': { value: m(loads, 'loadMs'), better: 'lower', unit: 'ms' },
        'RSS 3 s after a full GC': { value: m(loads, 'rssMiB'), better: 'lower', unit: 'MiB' },
        'desk RSS when ready': { value: md(desks, 'rssMiB'), better: 'lower', unit: 'MiB' },
        'desk start to GraphQL ready': { value: md(desks, 'readyMs'), better: 'lower', unit: 'ms' },
      },
      { record: args.record },
    );
  }
} finally {
  rmSync(empty, { recursive: true, force: true });
  if (!keep) rmSync(full, { recursive: true, force: true });
}
