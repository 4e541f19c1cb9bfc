import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let counter = 0;

// One system call per 1,024 ids instead of one per id: ids are made on every
// stored message, event and delivery.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomHex4(): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + 4);
  poolOffset += 4;
  return hex;
}

/**
 * 24 hex characters like a MongoDB ObjectId: 12 of time, 4 of a per-ms
 * counter, 8 random. Ids made later sort later, so `_id` doubles as a stable
 * cursor and tie-breaker for "oldest first".
 */
export function newId(now: number = Date.now()): string {
  if (now === lastMs) counter = (counter + 1) & 0xffff;
  else {
    lastMs = now;
    counter = 0;
  }
  return now.toString(16).padStart(12, '0') + counter.toString(16).padStart(4, '0') + randomHex4();
}
