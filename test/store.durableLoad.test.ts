// The durable store's start-up read (src/store/embeddedDurable.ts): records
// come back in chunks, the database reopened between them so the pages read
// do not stay resident; nothing may be missed, doubled or reordered.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDurableStore } from '../src/store/embeddedDurable.js';

type Item = { _id: string; n: number };
const dataDir = mkdtempSync(join(tmpdir(), 'desk-durable-load-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('durable store start-up read', () => {
  it('reads the records back in chunks, reopening the database between them, and nothing is missed or doubled', async () => {
    let store = await openDurableStore({ dataDir });
    const a = store.collection<Item>('a_items');
    const b = store.collection<Item>('b_items');
    // _ids descending, so natural order is visibly insertion order.
    for (let n = 0; n < 23; n++) await (n % 3 === 0 ? a : b).insertOne({ _id: `x${String(22 - n).padStart(2, '0')}`, n });
    await a.deleteMany({ n: 9 });
    await store.close();
    for (const readChunk of [1, 4, 7, 22, 100]) {
      store = await openDurableStore({ dataDir, readChunk });
      try {
        expect(store.loaded.documents).toBe(22);
        expect((await store.collection<Item>('a_items').find({})).map((doc) => doc.n)).toEqual([0, 3, 6, 12, 15, 18, 21]);
        expect((await store.collection<Item>('b_items').find({})).map((doc) => doc.n)).toEqual([1, 2, 4, 5, 7, 8, 10, 11, 13, 14, 16, 17, 19, 20, 22]);
        // Writes go to the database as reopened at the end of the read.
        await store.collection<Item>('a_items').insertOne({ _id: `late${readChunk}`, n: 100 + readChunk });
      } finally {
        await store.close();
      }
      store = await openDurableStore({ dataDir });
      try {
        expect(await store.collection<Item>('a_items').countDocuments({ n: 100 + readChunk })).toBe(1);
        await store.collection<Item>('a_items').deleteMany({ n: 100 + readChunk });
      } finally {
        await store.close();
      }
    }
  });
});
