// Writes the metrics bench's history (history.ts) through the durable store
// into a data directory, in a process of its own, and prints what it wrote
// as one JSON line: the ingest bench's "already stored" data sets.
//
//   npx tsx bench/support/buildHistory.ts --dir DIR --scale 0.1 [--seed 1]
import { parseArgs } from 'node:util';
import { COLLECTIONS } from '../../src/store/collections.js';
import { openDurableStore } from '../../src/store/embeddedDurable.js';
import { populateHistory } from './history.js';

const { values: args } = parseArgs({ options: { dir: { type: 'string' }, scale: { type: 'string', default: '1' }, seed: { type: 'string', default: '1' } } });
if (!args.dir) throw new Error('--dir is required');
const started = performance.now();
const store = await openDurableStore({ dataDir: args.dir });
const size = await populateHistory(store, { scale: Number(args.scale), seed: Number(args.seed) });
const inbound = await store.collection(COLLECTIONS.messages).countDocuments({ direction: 'INBOUND' });
await store.close();
console.log(JSON.stringify({ ...size, inbound, ms: Math.round(performance.now() - started) }));
