// bench/webhook-ingest: signed WhatsApp webhooks, each one new message, POSTed to the desk started as `npm start` starts it
// (compiled first with the build's tsconfig, then `node dist/src/main.js`),
// on several connections at once; acknowledgements per second, the time to
// each 200 (p50, p99) and the server's CPU time per acknowledgement. First
// each of the --customers (5,000) writes once (their conversations open, not
// measured); then one measured message in ten comes from a new customer (a
// new conversation: greeting, assignment, outbox) and the rest from those.
// Targets, measured in the same run, in turns:
//   memory   DATA_DIR=memory: the embedded store without a disk;
//   disk     the default, the durable store on a data directory (group commit);
//   fastify  a bare Fastify server that only checks the signature and parses
//            the JSON (bench/support/bareWebhook.ts): the ceiling of the HTTP
//            layer on this machine, with no desk behind it.
//
//   npx tsx bench/webhook-ingest.ts                              # 50 connections, 3 rounds of 8 s
//   options: --connections 1,10,50,200  --targets memory,disk,fastify
//            --seconds 8  --warmup 2  --rounds 3  --customers 5000
//            --redis redis://127.0.0.1:6379   (REDIS_URL for the desk targets)
//            --profile   (a V8 CPU profile of each desk target, summarized after its stop)
//            --stored 10000,100000,1000000   (then: the disk target on a data directory
//                        already holding that many messages, history.ts's data set;
//                        --targets none to run only this part)
//            --record    (write these results to bench/recorded.json as the figures to guard)
//
// Regression guard: the results are compared with bench/recorded.json; one more
// than 2× worse than recorded prints `!!! REGRESSION` and exits 1.
//
// Afterwards every acknowledged webhook must be stored: the desk's own count
// (desk_messages_total) against its 200s, and for `disk` the data directory
// read back after the stop; a shortfall prints `!!!` and exits 1.
//
// The load generator and the WhatsApp Cloud API emulator (which takes the
// greetings the desk sends to new customers) run in this process, sharing
// the machine's cores with the server: the report says so, and each figure
// is the median of the rounds, read as a share of the same-run bare ceiling.
import { spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { signBody } from '../src/whatsapp/signature.js';
import { inboundWebhook, newWamid, startWhatsAppEmulator } from '../test/emulators/whatsappCloud.js';
import { startDeskProcess, type DeskProcess } from '../test/support/deskProcess.js';
import { deleteKeys } from '../test/support/redis.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { openDurableStore } from '../src/store/embeddedDurable.js';
import { summarizeProfileFile } from './support/profile.js';
import { guardAgainstRegressions, type Figure } from './support/recorded.js';

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    targets: { type: 'string', default: 'memory,disk,fastify' },
    seconds: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    customers: { type: 'string', default: '5000' },
    redis: { type: 'string' },
    profile: { type: 'boolean', default: false },
    stored: { type: 'string' },
    record: { type: 'boolean', default: false },
  },
});
const CONNECTIONS = args.connections!.split(',').map(Number);
const TARGETS = args.targets!.split(',').filter((t) => t && t !== 'none') as Target[];
const STORED = (args.stored ?? '').split(',').filter(Boolean).map(Number);
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
const ROUNDS = Math.max(1, Number(args.rounds));
const CUSTOMERS = Number(args.customers);
const APP_SECRET = 'bench-app-secret-0123456789abcdef0123';

type Target = 'memory' | 'disk' | 'fastify';
interface Result {
  /** Every 200, warm-up included: what the desk promised to keep. */
  acknowledged: number;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  /** The server's CPU time (user + system) per acknowledged webhook in the measured window, in µs: steadier than rates on a shared machine. */
  cpuUsPerAck: number;
  /** Follow-up wakes the desk's queue still held when the load ended: work deferred, not done, in the window. */
  followUpsWaiting?: number;
}

// The server as `npm start` runs it: compiled, without tsx's loader and its per-function helpers.
if (TARGETS.some((target) => target !== 'fastify') || STORED.length > 0) {
  const built = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'inherit' });
  if (built.status !== 0) throw new Error('the server did not compile (npx tsc -p tsconfig.build.json)');
}
const emulator = await startWhatsAppEmulator({ appSecret: APP_SECRET });
let sequence = 0;

/** Each desk started on Redis writes under its own key prefix (a round starts afresh: no jobs left from the last one). */
const redisPrefixes = new WeakMap<DeskProcess, string>();

async function startTarget(target: Target, dataDir: string): Promise<DeskProcess> {
  const prefix = `bench-ingest-${process.pid}-${Date.now().toString(36)}`;
  const env: Record<string, string> = {
    ADMIN_TOKEN: 'bench-admin-token-0123456789abcdef0123',
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: 'bench-verify-token',
    WHATSAPP_API_URL: emulator.url,
    WHATSAPP_PHONE_NUMBER_ID: emulator.phoneNumberId,
    WHATSAPP_ACCESS_TOKEN: emulator.accessToken,
    RATE_LIMIT_PER_MINUTE: '10000000',
    RATE_LIMIT_IP_PER_MINUTE: '10000000',
    LOG_LEVEL: 'info',
    DATA_DIR: target === 'memory' ? 'memory' : dataDir,
    ...(args.redis ? { REDIS_URL: args.redis, REDIS_KEY_PREFIX: prefix } : {}),
  };
  const nodeArgs = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(dataDir, 'profile')}`] : [];
  const desk = await startDeskProcess(env, { readyTimeoutMs: 300_000, nodeArgs, ...(target === 'fastify' ? { entry: 'bench/support/bareWebhook.ts' } : { compiled: true }) });
  if (args.redis && target !== 'fastify') redisPrefixes.set(desk, prefix);
  return desk;
}

/** Stops the desk and deletes what it left in Redis (the follow-ups still waiting, the queues' keys). */
async function stopTarget(desk: DeskProcess): Promise<void> {
  await desk.stop();
  const prefix = redisPrefixes.get(desk);
  if (prefix && args.redis) await deleteKeys(args.redis, `${prefix}*`);
}

function post(agent: Agent, url: URL, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-hub-signature-256': signBody(body, APP_SECRET) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * One in NEW_CUSTOMER_EVERY measured messages comes from a customer never
 * seen before (a new conversation: greeting, follow-up, assignment); the rest
 * from the pool of CUSTOMERS whose conversations openPool opened. A fixed mix,
 * so the cost per message does not depend on how fast the target was.
 */
const NEW_CUSTOMER_EVERY = 10;
let newCustomers = 0;

function webhookFrom(customer: number, n: number): string {
  const from = `1555${String(2_000_000 + customer).padStart(7, '0')}`;
  return JSON.stringify(inboundWebhook(emulator.phoneNumberId, [{ type: 'text', text: `order ${n} has not arrived`, from, id: newWamid(), name: `Customer ${customer}` }]));
}

function nextWebhook(): string {
  const n = sequence++;
  return webhookFrom(n % NEW_CUSTOMER_EVERY === 0 ? CUSTOMERS + newCustomers++ : n % CUSTOMERS, n);
}

/** The value of one series on the desk's /metrics (named with its labels), undefined when the desk reports none. */
async function metricValue(desk: DeskProcess, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${desk.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** Follow-up wakes (greeting and assignment of a new conversation) the desk's queue holds: none reported, none waiting. */
async function followUpsWaiting(desk: DeskProcess): Promise<number> {
  return (await metricValue(desk, 'desk_outbox_depth{queue="workflow.followUp"}')) ?? 0;
}

const FOLLOW_UPS_TIMEOUT_MS = 300_000;

/**
 * Waits until the pool's follow-ups have run, so a queue that lags (BullMQ's,
 * under load) does not carry them into the measured window: the window then
 * holds its own messages' work and nothing older.
 */
async function awaitFollowUps(desk: DeskProcess): Promise<void> {
  const started = performance.now();
  let waiting = await followUpsWaiting(desk);
  while (waiting > 0 && performance.now() - started < FOLLOW_UPS_TIMEOUT_MS) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    waiting = await followUpsWaiting(desk);
  }
  const seconds = fmt((performance.now() - started) / 1000, 1);
  console.log(waiting > 0 ? `  !!! ${fmt(waiting)} of the pool's follow-ups still waiting after ${seconds} s; measuring anyway` : `  the pool's follow-ups all ran (${seconds} s after its last acknowledgement)`);
}

/** One message from each pool customer, on 50 connections, not measured: their conversations are open before the load starts. */
async function openPool(webhookUrl: string): Promise<number> {
  const url = new URL(webhookUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 50 });
  let next = 0;
  let acknowledged = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < CUSTOMERS) {
        const customer = next++;
        if ((await post(agent, url, webhookFrom(customer, sequence++)).catch(() => 0)) === 200) acknowledged++;
      }
    }),
  );
  agent.destroy();
  return acknowledged;
}

/** `connections` loops, one request at a time each, for `seconds`; latencies of the requests started after the warm-up. */
/** A process's CPU time so far (user + system), in ms, from /proc (clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function load(webhookUrl: string, connections: number, pid: number): Promise<Result> {
  const url = new URL(webhookUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  let acknowledged = 0;
  const start = performance.now();
  const measureFrom = start + WARMUP * 1000;
  const end = measureFrom + SECONDS * 1000;
  let cpuFrom = NaN;
  const cpuTimer = setTimeout(() => (cpuFrom = cpuMsOf(pid)), WARMUP * 1000);
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const body = nextWebhook();
        const sent = performance.now();
        const status = await post(agent, url, body).catch(() => 0);
        if (status === 200) acknowledged++;
        if (sent < measureFrom) continue;
        if (status === 200) latencies.push(performance.now() - sent);
        else errors++;
      }
    }),
  );
  const serverCpuMs = cpuMsOf(pid) - cpuFrom;
  clearTimeout(cpuTimer);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { acknowledged, requests: latencies.length, perSecond: latencies.length / SECONDS, p50: at(0.5), p99: at(0.99), errors, cpuUsPerAck: (serverCpuMs * 1000) / latencies.length };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.ceil(values.length / 2) - 1]!;
const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const cpu = cpus();
console.log(`machine: ${cpu[0]?.model ?? 'unknown cpu'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${platform()} ${release()}, Node ${process.version}; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`targets ${TARGETS.join(', ')}; connections ${CONNECTIONS.join(', ')}; ${ROUNDS} rounds of ${WARMUP} s warm-up + ${SECONDS} s measured; ${fmt(CUSTOMERS)} customers${args.redis ? `; REDIS_URL ${args.redis}` : ''}`);

/** Inbound messages the desk counted as stored (desk_messages_total, counted only once a message is stored). */
async function storedPerMetrics(desk: DeskProcess): Promise<number> {
  return (await metricValue(desk, 'desk_messages_total{direction="inbound"}')) ?? NaN;
}

/** Inbound messages in the data directory the stopped desk left: what a restart would find. */
async function storedOnDisk(dataDir: string): Promise<number> {
  const store = await openDurableStore({ dataDir });
  try {
    return await store.collection(COLLECTIONS.messages).countDocuments({ direction: 'INBOUND' });
  } finally {
    await store.close();
  }
}

/** The profile the stopped server wrote (start-up included, a small share of a loaded run): where its CPU went. */
async function printProfile(what: string, dir: string): Promise<void> {
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) return console.log(`  ${what}: no CPU profile was written`);
  const profile = await summarizeProfileFile(join(dir, file), 70);
  console.log(`  ${what}: CPU profile, busy ${fmt(profile.totalMs - profile.idleMs)} of ${fmt(profile.totalMs)} ms; by area (self):`);
  for (const e of profile.byArea.slice(0, 12)) console.log(`    ${String(e.percent).padStart(5)}%  ${e.name}`);
  console.log('  by function (self):');
  for (const e of profile.selfByFunction.slice(0, 25)) console.log(`    ${String(e.percent).padStart(5)}%  ${e.name}`);
  console.log('  by function (inclusive):');
  for (const e of profile.inclusiveByFunction.slice(0, 70)) console.log(`    ${String(e.percent).padStart(5)}%  ${e.name}`);
}

const losses: string[] = [];
function checkKept(what: string, acknowledged: number, stored: number): void {
  const verdict = stored === acknowledged ? 'every acknowledged message kept' : `!!! ${acknowledged - stored} acknowledged messages NOT kept`;
  console.log(`  ${what}: ${acknowledged} acknowledged, ${stored} stored: ${verdict}`);
  if (stored !== acknowledged) losses.push(`${what}: ${acknowledged} acknowledged, ${stored} stored`);
}

const results = new Map<string, Result[]>();
for (let round = 1; round <= ROUNDS; round++) {
  for (const target of TARGETS) {
    // Each round starts each target afresh (the disk one on a new data directory), so the rounds are alike.
    const dataDir = mkdtempSync(join(tmpdir(), 'desk-ingest-'));
    const desk = await startTarget(target, dataDir);
    let acknowledged = 0;
    try {
      acknowledged += await openPool(desk.webhookUrl);
      if (target !== 'fastify') await awaitFollowUps(desk);
      for (const connections of CONNECTIONS) {
        const result = await load(desk.webhookUrl, connections, desk.child.pid!);
        if (target !== 'fastify') result.followUpsWaiting = await followUpsWaiting(desk);
        acknowledged += result.acknowledged;
        const key = `${target} ${connections}`;
        results.set(key, [...(results.get(key) ?? []), result]);
        console.log(
          `round ${round} ${target.padEnd(7)} ${String(connections).padStart(3)} connections: ${fmt(result.perSecond)} acks/s, p50 ${fmt(result.p50, 1)} ms, p99 ${fmt(result.p99, 1)} ms, server CPU ${fmt(result.cpuUsPerAck)} µs per ack${result.followUpsWaiting === undefined ? '' : `, follow-ups waiting at the end ${fmt(result.followUpsWaiting)}`}${result.errors ? `, ${result.errors} errors` : ''}`,
        );
      }
      if (target !== 'fastify') checkKept(`round ${round} ${target}, per the desk's own count`, acknowledged, await storedPerMetrics(desk));
      await desk.stop();
      if (target === 'disk') checkKept(`round ${round} disk, read back from DATA_DIR after the stop`, acknowledged, await storedOnDisk(dataDir));
      if (args.profile && target !== 'fastify') await printProfile(`round ${round} ${target}`, join(dataDir, 'profile'));
    } finally {
      await stopTarget(desk);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}
/** The cost of one more message with `messages` already stored: the disk target on a data directory built beforehand (not timed). */
async function withStored(messages: number): Promise<Result & { built: Record<string, number> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'desk-ingest-stored-'));
  try {
    const builder = spawnSync(process.execPath, ['--import', 'tsx', 'bench/support/buildHistory.ts', '--dir', dataDir, '--scale', String(messages / 1_000_000)], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
      maxBuffer: 16 * 2 ** 20,
    });
    if (builder.status !== 0) throw new Error(`building ${messages} messages failed:\n${builder.stderr}`);
    const built = JSON.parse(builder.stdout.trim().split('\n').pop()!) as Record<string, number>;
    const desk = await startTarget('disk', dataDir);
    try {
      const pool = await openPool(desk.webhookUrl);
      await awaitFollowUps(desk);
      const result = await load(desk.webhookUrl, STORED_CONNECTIONS, desk.child.pid!);
      checkKept(`${fmt(messages)} stored, per the desk's own count`, pool + result.acknowledged, await storedPerMetrics(desk));
      await desk.stop();
      checkKept(`${fmt(messages)} stored, read back from DATA_DIR after the stop`, pool + result.acknowledged, (await storedOnDisk(dataDir)) - built.inbound!);
      console.log(
        `stored ${fmt(built.messages!)} messages (built in ${fmt(built.ms! / 1000, 1)} s): ${fmt(result.perSecond)} acks/s, p50 ${fmt(result.p50, 1)} ms, p99 ${fmt(result.p99, 1)} ms, server CPU ${fmt(result.cpuUsPerAck)} µs per ack`,
      );
      return { ...result, built };
    } finally {
      await stopTarget(desk);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const STORED_CONNECTIONS = 50;
const storedResults: Array<{ messages: number; result: Result }> = [];
for (const messages of STORED) storedResults.push({ messages, result: await withStored(messages) });
await emulator.close();

if (storedResults.length > 0) {
  const first = storedResults[0]!.result;
  console.log(`\nthe disk target at ${STORED_CONNECTIONS} connections, with messages already stored (one run each):\n`);
  console.log('| already stored | acks/s | ack p50 | ack p99 | server CPU per ack | CPU vs the first |\n|---|---|---|---|---|---|');
  for (const { messages, result } of storedResults) {
    console.log(`| ${fmt(messages)} | ${fmt(result.perSecond)} | ${fmt(result.p50, 1)} ms | ${fmt(result.p99, 1)} ms | ${fmt(result.cpuUsPerAck)} µs | ${(result.cpuUsPerAck / first.cpuUsPerAck).toFixed(2)}× |`);
  }
}

console.log(`\nmedians of ${ROUNDS} rounds; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
if (TARGETS.length > 0) console.log('| target | connections | acks/s | of the ceiling | vs memory | ack p50 | ack p99 | server CPU per ack | errors |\n|---|---|---|---|---|---|---|---|---|');
for (const connections of CONNECTIONS) {
  const rateOf = (target: Target) => {
    const rows = results.get(`${target} ${connections}`);
    return rows ? median(rows.map((r) => r.perSecond)) : NaN;
  };
  for (const target of TARGETS) {
    const rows = results.get(`${target} ${connections}`)!;
    const rate = rateOf(target);
    const ofCeiling = TARGETS.includes('fastify') ? `${fmt((100 * rate) / rateOf('fastify'), 1)} %` : '';
    const vsMemory = TARGETS.includes('memory') ? `${(rate / rateOf('memory')).toFixed(2)}×` : '';
    const cpu = median(rows.map((r) => r.cpuUsPerAck));
    console.log(
      `| ${target} | ${connections} | ${fmt(rate)} | ${ofCeiling} | ${vsMemory} | ${fmt(median(rows.map((r) => r.p50)), 1)} ms | ${fmt(median(rows.map((r) => r.p99)), 1)} ms | ${fmt(cpu)} µs | ${rows.reduce((s, r) => s + r.errors, 0)} |`,
    );
  }
}

const figures: Record<string, Figure> = {};
const setting = args.redis ? ', REDIS_URL' : '';
for (const connections of CONNECTIONS) {
  const fastify = results.get(`fastify ${connections}`);
  for (const target of TARGETS.filter((t) => t !== 'fastify')) {
    const rows = results.get(`${target} ${connections}`)!;
    const name = `${target}, ${connections} connections${setting}`;
    if (fastify) figures[`${name}: share of the bare ceiling`] = { value: (100 * median(rows.map((r) => r.perSecond))) / median(fastify.map((r) => r.perSecond)), better: 'higher', unit: '%' };
    figures[`${name}: ack p99`] = { value: median(rows.map((r) => r.p99)), better: 'lower', unit: 'ms' };
    figures[`${name}: server CPU per ack`] = { value: median(rows.map((r) => r.cpuUsPerAck)), better: 'lower', unit: 'µs' };
  }
}
for (const { messages, result } of storedResults.slice(1)) {
  figures[`disk, ${messages} stored${setting}: server CPU per ack vs ${storedResults[0]!.messages} stored`] = { value: result.cpuUsPerAck / storedResults[0]!.result.cpuUsPerAck, better: 'lower', unit: '×' };
}
guardAgainstRegressions('webhook-ingest', figures, { record: args.record });

if (losses.length > 0) {
  console.error(`\n!!! ACKNOWLEDGED MESSAGES LOST:\n${losses.join('\n')}`);
  process.exitCode = 1;
} else console.log('\nevery acknowledged webhook was stored (checked per round and target, and on disk after each stop)');
