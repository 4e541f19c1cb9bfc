// bench/store-update: what one stored update costs in the embedded engine,
// the desk's own shape of update (a conversation's status, activity time and
// unread count) applied by mingo's general updater and by the engine's direct
// path for plain $set / $unset / $inc (src/store/embedded/simpleUpdate.ts),
// alternated in one process so the machine's noise hits both alike.
//
//   npx tsx bench/store-update.ts      (npm run bench -- store-update)
//   options: --updates 50000  --rounds 5  --record (the results become bench/recorded.json's figures)
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { guardAgainstRegressions } from './support/recorded.js';
import type { AnyObject } from 'mingo/types';
import { update as mingoUpdate, type Modifier } from 'mingo/updater';
import { applySimpleUpdate } from '../src/store/embedded/simpleUpdate.js';
import { copyValue } from '../src/store/embedded/values.js';

const { values: args } = parseArgs({
  options: { updates: { type: 'string', default: '50000' }, rounds: { type: 'string', default: '5' }, record: { type: 'boolean', default: false } },
});
const UPDATES = Number(args.updates);
const ROUNDS = Number(args.rounds);

const conversation = {
  _id: '0190f2a1c3d40001a1b2c3d4',
  customerId: '0190f2a1c3d40000a1b2c3d4',
  status: 'ASSIGNED',
  assigneeId: '0190f2a1c3d40002a1b2c3d4',
  unreadCount: 3,
  labels: ['billing'],
  lastActivityAt: new Date('2026-12-02T10:00:00Z'),
  lastCustomerMessageAt: new Date('2026-12-02T10:00:00Z'),
  survey: { sentAt: null, ratedAt: null },
};
const update = { $set: { lastActivityAt: new Date('2026-12-02T10:05:00Z'), lastCustomerMessageAt: new Date('2026-12-02T10:05:00Z') }, $inc: { unreadCount: 1 } };

/** Microseconds per update, the document copied first as the engine does. */
function time(apply: (doc: AnyObject) => void): number {
  const started = performance.now();
  for (let i = 0; i < UPDATES; i++) apply(copyValue(conversation));
  return ((performance.now() - started) * 1000) / UPDATES;
}

const viaMingo = (doc: AnyObject) => void mingoUpdate(doc, update as Modifier<AnyObject>, undefined, undefined, { cloneMode: 'copy' });
const direct = (doc: AnyObject) => void applySimpleUpdate(doc, update);

// Same result both ways, or the comparison means nothing.
const [a, b] = [copyValue(conversation) as AnyObject, copyValue(conversation) as AnyObject];
viaMingo(a);
direct(b);
if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`the two paths disagree: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);

const results = { mingo: [] as number[], direct: [] as number[] };
time(viaMingo);
time(direct); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  results.mingo.push(time(viaMingo));
  results.direct.push(time(direct));
}
const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
console.log(`machine: ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, Node ${process.version}; load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`${ROUNDS} rounds × ${UPDATES.toLocaleString('en')} updates, medians (copy of the document included):`);
console.log(`  mingo's updater  ${median(results.mingo).toFixed(2)} µs per update`);
console.log(`  direct path      ${median(results.direct).toFixed(2)} µs per update`);
console.log(`  ratio            ${(median(results.mingo) / median(results.direct)).toFixed(1)}× faster`);
guardAgainstRegressions(
  'store-update',
  {
    'direct path per update': { value: median(results.direct), better: 'lower', unit: 'µs' },
    'mingo per update / direct per update': { value: median(results.mingo) / median(results.direct), better: 'higher', unit: '×' },
  },
  { record: args.record },
);
