// The embedded engine on disk (DATA_DIR): what it keeps across a restart,
// when it answers, how it commits, and the one-process-per-directory lock.
// The store contract itself runs over this engine too (store.contract.test.ts,
// which also reopens the store after every contract test and compares).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ConversationDoc, MessageDoc } from '../src/domain/model.js';
import { COLLECTIONS } from '../src/store/collections.js';
import { DataDirInUseError } from '../src/store/embeddedDataDirLock.js';
import { createFileMediaStore } from '../src/media/fileStore.js';
import { createLmdbJournal, openDurableStore, StoreWriteError, type DurableStore } from '../src/store/embeddedDurable.js';
import { createEmbeddedEngine } from '../src/store/embedded.js';
import { DuplicateKeyError } from '../src/store/port.js';
import { buildConversation, buildCustomer, buildMessage } from './support/eventFactory.js';

const dirs: string[] = [];
const open: DurableStore[] = [];

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'desk-durable-'));
  dirs.push(dir);
  return dir;
}

async function openStore(dataDir: string): Promise<DurableStore> {
  const store = await openDurableStore({ dataDir });
  open.push(store);
  return store;
}

async function reopen(store: DurableStore): Promise<DurableStore> {
  await store.close();
  return openStore(store.dataDir);
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((store) => store.close()));
});
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const T0 = new Date('2025-02-01T10:00:00Z');

describe('the embedded engine on disk', () => {
  it('a restart reads every collection back as it was: documents, Dates, natural order; deleted ones stay deleted', async () => {
    // A dot in the name: still a directory, not a file name.
    let store = await openStore(join(newDataDir(), 'desk.data'));
    const customer = buildCustomer({ _id: 'cu1', waId: '15550001', createdAt: T0, updatedAt: T0 });
    const conversation = buildConversation(customer, { _id: 'c1', createdAt: T0, updatedAt: T0, openedAt: T0, cycleStartedAt: T0 });
    const messages = store.collection<MessageDoc>(COLLECTIONS.messages);
    await store.collection(COLLECTIONS.customers).insertOne(customer);
    await store.collection<ConversationDoc>(COLLECTIONS.conversations).insertOne(conversation);
    // Inserted out of _id order, so natural order is visibly insertion order.
    for (const n of [3, 1, 2, 5, 4]) await messages.insertOne(buildMessage(conversation, { _id: `m${n}`, whatsappId: `wamid.${n}`, text: `text ${n}`, createdAt: new Date(T0.getTime() + n) }));
    await messages.updateOne({ _id: 'm1' }, { $set: { status: 'READ', statusAt: new Date(T0.getTime() + 60_000) } });
    await messages.deleteMany({ _id: 'm5' });
    await store.collection(COLLECTIONS.conversations).updateMany({}, { $inc: { cycle: 1 } });
    const before = {
      messages: await messages.find({}),
      conversations: await store.collection(COLLECTIONS.conversations).find({}),
      customers: await store.collection(COLLECTIONS.customers).find({}),
    };
    expect(before.messages.map((m) => m._id)).toEqual(['m3', 'm1', 'm2', 'm4']);

    store = await reopen(store);
    expect(store.loaded).toMatchObject({ documents: 6, collections: 3 });
    expect(readdirSync(store.dataDir).sort()).toEqual(['data.mdb', 'desk.lock', 'lock.mdb']);
    const after = {
      messages: await store.collection<MessageDoc>(COLLECTIONS.messages).find({}),
      conversations: await store.collection(COLLECTIONS.conversations).find({}),
      customers: await store.collection(COLLECTIONS.customers).find({}),
    };
    expect(after).toEqual(before);
    expect(after.messages[1]!.statusAt).toBeInstanceOf(Date);
    expect(after.messages[1]).toMatchObject({ status: 'READ' });

    // New documents go after the restored ones, and keep doing so across another restart.
    await store.collection<MessageDoc>(COLLECTIONS.messages).insertOne(buildMessage(conversation, { _id: 'm0', whatsappId: 'wamid.0' }));
    store = await reopen(store);
    expect((await store.collection(COLLECTIONS.messages).find({})).map((m) => m._id)).toEqual(['m3', 'm1', 'm2', 'm4', 'm0']);
  });

  it('rebuilds the indexes at start-up: unique and sparse-unique keys are enforced again, indexed lookups find the restored documents', async () => {
    let store = await openStore(newDataDir());
    const customer = buildCustomer({ _id: 'cu1', waId: '15550001' });
    const conversation = buildConversation(customer, { _id: 'c1', activeKey: 'cu1' });
    await store.collection(COLLECTIONS.customers).insertOne(customer);
    await store.collection(COLLECTIONS.conversations).insertMany([conversation, buildConversation(customer, { _id: 'c0', status: 'RESOLVED', activeKey: null })]);
    const conversationMessages = [buildMessage(conversation, { _id: 'm1', whatsappId: 'wamid.1' }), buildMessage(conversation, { _id: 'm2', whatsappId: null }), buildMessage(conversation, { _id: 'm3', whatsappId: null })];
    await store.collection(COLLECTIONS.messages).insertMany(conversationMessages);

    store = await reopen(store);
    // unique: customers.waId
    await expect(store.collection(COLLECTIONS.customers).insertOne(buildCustomer({ _id: 'cu2', waId: '15550001' }))).rejects.toBeInstanceOf(DuplicateKeyError);
    // sparse unique: one open conversation per customer (activeKey), any number of closed ones (null)
    await expect(store.collection(COLLECTIONS.conversations).insertOne(buildConversation(customer, { _id: 'c2', activeKey: 'cu1' }))).rejects.toBeInstanceOf(DuplicateKeyError);
    await store.collection(COLLECTIONS.conversations).insertOne(buildConversation(customer, { _id: 'c3', status: 'RESOLVED', activeKey: null }));
    // sparse unique: messages.whatsappId, with two restored nulls and one wamid
    await expect(store.collection(COLLECTIONS.messages).insertOne(buildMessage(conversation, { _id: 'm4', whatsappId: 'wamid.1' }))).rejects.toBeInstanceOf(DuplicateKeyError);
    await store.collection(COLLECTIONS.messages).insertOne(buildMessage(conversation, { _id: 'm5', whatsappId: null }));
    // _id
    await expect(store.collection(COLLECTIONS.messages).insertOne(buildMessage(conversation, { _id: 'm1', whatsappId: 'wamid.9' }))).rejects.toBeInstanceOf(DuplicateKeyError);
    // an update that moves a unique key frees the old one, after a restart too
    await store.collection(COLLECTIONS.customers).updateOne({ _id: 'cu1' }, { $set: { waId: '15550009' } });
    store = await reopen(store);
    await store.collection(COLLECTIONS.customers).insertOne(buildCustomer({ _id: 'cu2', waId: '15550001' }));
    expect((await store.collection(COLLECTIONS.messages).find({ conversationId: 'c1' })).map((m) => m._id)).toEqual(['m1', 'm2', 'm3', 'm5']);
    expect(await store.collection(COLLECTIONS.messages).findOne({ whatsappId: 'wamid.1' })).toMatchObject({ _id: 'm1' });
  });

  it('group commit: 200 concurrent writes share one commit; 20 awaited one by one take 20', async () => {
    const store = await openStore(newDataDir());
    const items = store.collection<{ _id: string; n: number }>('items');
    // The first document of a shape also commits its shape (lmdb-js shared structures): not counted below.
    await items.insertOne({ _id: 'warm-up', n: -1 });

    const before = store.lastTransactionId();
    await Promise.all(Array.from({ length: 200 }, (_, n) => items.insertOne({ _id: `c${n}`, n })));
    // One event-loop turn's writes are one transaction.
    expect(store.lastTransactionId() - before).toBe(1);

    const start = store.lastTransactionId();
    for (let n = 0; n < 20; n++) await items.insertOne({ _id: `s${n}`, n });
    expect(store.lastTransactionId() - start).toBe(20);
    expect(await items.countDocuments()).toBe(221);
  });

  it('answers nothing before it is committed: a read or a refusal that saw an uncommitted write waits for its commit', async () => {
    const store = await openStore(newDataDir());
    const items = store.collection<{ _id: string; key: string }>('items');
    // The first document of a shape also commits its shape (lmdb-js shared structures): not counted below.
    await items.insertOne({ _id: 'warm-up', key: 'w' });
    const order: string[] = [];
    const before = store.lastTransactionId();
    const insert = items.insertOne({ _id: 'a', key: 'k' }).then(() => order.push(`insert acknowledged after ${store.lastTransactionId() - before} commit(s)`));
    // In the same turn: a reader sees the new document, a duplicate is refused because of it.
    const read = items.findOne({ _id: 'a' }).then((doc) => order.push(`read ${doc?._id} after ${store.lastTransactionId() - before} commit(s)`));
    const refused = items.insertOne({ _id: 'a', key: 'again' }).catch((error: unknown) => order.push(`${(error as Error).name} after ${store.lastTransactionId() - before} commit(s)`));
    await Promise.all([insert, read, refused]);
    expect(order).toEqual(['insert acknowledged after 1 commit(s)', 'read a after 1 commit(s)', 'DuplicateKeyError after 1 commit(s)']);
    // With nothing waiting to be committed, a read answers at once.
    const idle = store.lastTransactionId();
    expect(await items.countDocuments()).toBe(2);
    expect(store.lastTransactionId()).toBe(idle);
  });

  it('a batch answers its calls from memory and resolves once, after the commit holding all of them; what leaves the process waits for it', async () => {
    const store = await openStore(newDataDir());
    const items = store.collection<{ _id: string; n: number }>('items');
    await items.insertOne({ _id: 'warm-up', n: -1 });
    const order: string[] = [];
    const before = store.lastTransactionId();
    const commits = () => store.lastTransactionId() - before;

    const batch = store.batch(async () => {
      await items.insertOne({ _id: 'a', n: 1 });
      order.push(`insert answered after ${commits()} commit(s)`);
      await items.updateOne({ _id: 'a' }, { $inc: { n: 1 } });
      order.push(`update answered after ${commits()} commit(s)`);
      // A live update or a job raised inside the batch: held until the disk has what it describes.
      void store.afterDurable(() => order.push(`first effect ran after ${commits()} commit(s)`));
      void store.afterDurable(() => order.push(`second effect ran after ${commits()} commit(s)`));
      order.push(`read ${(await items.findOne({ _id: 'a' }))?.n} after ${commits()} commit(s)`);
      return 'done';
    });
    // Outside the batch, a caller reading its uncommitted document still waits for the commit.
    const outside = items.findOne({ _id: 'a' }).then((doc) => order.push(`outside read ${doc?.n} after ${commits()} commit(s)`));
    expect(await batch).toBe('done');
    order.push(`batch resolved after ${commits()} commit(s)`);
    await outside;
    await store.afterDurable(() => undefined);
    // Inside: answered from memory, reading its own changes.
    expect(order.slice(0, 3)).toEqual(['insert answered after 0 commit(s)', 'update answered after 0 commit(s)', 'read 2 after 0 commit(s)']);
    // Everything else only once the one commit is done (the outside read saw the document as inserted, in that same turn).
    expect([...order.slice(3)].sort()).toEqual(
      ['first effect ran after 1 commit(s)', 'second effect ran after 1 commit(s)', 'batch resolved after 1 commit(s)', 'outside read 1 after 1 commit(s)'].sort(),
    );
    expect(order.indexOf('first effect ran after 1 commit(s)')).toBeLessThan(order.indexOf('second effect ran after 1 commit(s)'));
    // Outside a batch, with nothing held, an effect runs at once and its result comes back as is.
    expect(store.afterDurable(() => 'now')).toBe('now');
  });

  it('held effects start in order, and one still waiting on its own promise (a job on its way to Redis) holds no later one', async () => {
    const store = await openStore(newDataDir());
    const items = store.collection<{ _id: string }>('items');
    const started: string[] = [];
    let finishSlow!: (value: string) => void;
    let slow!: Promise<string>;
    let quick!: Promise<string>;
    await store.batch(async () => {
      await items.insertOne({ _id: 'a' });
      slow = store.afterDurable(() => {
        started.push('slow');
        return new Promise<string>((resolve) => (finishSlow = resolve));
      }) as Promise<string>;
      quick = store.afterDurable(() => {
        started.push('quick');
        return 'quick done';
      }) as Promise<string>;
    });
    // The later effect ran and answered while the earlier one's promise is still open.
    const heldBack = new Promise((resolve) => setTimeout(() => resolve('still held behind the slow one'), 2_000));
    expect(await Promise.race([quick, heldBack])).toBe('quick done');
    expect(started).toEqual(['slow', 'quick']);
    // The earlier one's caller still gets its own result when it comes.
    finishSlow('slow done');
    expect(await slow).toBe('slow done');
  });

  it('a batch whose commit fails rejects naming the data directory, and its held effects never run', async () => {
    const failing = { put: () => Promise.reject(new Error('MDB_MAP_FULL: Environment mapsize limit reached')), remove: () => Promise.resolve(true) };
    const journal = createLmdbJournal(failing as unknown as Parameters<typeof createLmdbJournal>[0], '/data/desk');
    const { store } = createEmbeddedEngine({ journal });
    const ran: string[] = [];
    const batch = store.batch(async () => {
      await store.collection('items').insertOne({ _id: 'a' });
      const held = store.afterDurable(() => ran.push('effect'));
      (held as Promise<unknown>).catch(() => undefined);
    });
    await expect(batch).rejects.toThrow(/could not write to \/data\/desk.*MDB_MAP_FULL/);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(ran).toEqual([]);
  });

  it('a document the disk cannot hold is refused with the reason and changes nothing', async () => {
    const store = await openStore(newDataDir());
    const items = store.collection<{ _id: string; value?: unknown }>('items');
    await items.insertOne({ _id: 'kept', value: 1 });
    await expect(items.insertOne({ _id: 'bad', value: Symbol('not storable') })).rejects.toThrow(/symbol/i);
    await expect(items.updateOne({ _id: 'kept' }, { $set: { value: 10n ** 30n } })).rejects.toThrow(/too large/);
    expect(await items.find({})).toEqual([{ _id: 'kept', value: 1 }]);
    await items.insertOne({ _id: 'after', value: 2 });
    const reopened = await reopen(store);
    expect(await reopened.collection('items').find({})).toEqual([
      { _id: 'kept', value: 1 },
      { _id: 'after', value: 2 },
    ]);
  });

  it('a failed commit stops the store: that call and every later one reject naming the data directory, ping fails', async () => {
    // A database whose commits fail (as with a full disk); the journal's logic is the real one.
    let fail = false;
    const failing = {
      put: () => (fail ? Promise.reject(new Error('MDB_MAP_FULL: Environment mapsize limit reached')) : Promise.resolve(true)),
      remove: () => Promise.resolve(true),
    } as unknown as Parameters<typeof createLmdbJournal>[0];
    const journal = createLmdbJournal(failing, '/data/desk');
    const { collection } = createEmbeddedEngine({ journal });
    const items = collection('items');
    await items.insertOne({ _id: 'one' });
    fail = true;
    const error = await items.insertOne({ _id: 'two' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreWriteError);
    expect((error as Error).message).toMatch(/could not write to \/data\/desk \(MDB_MAP_FULL.*restarts/);
    fail = false;
    await expect(items.findOne({ _id: 'one' })).rejects.toBeInstanceOf(StoreWriteError);
    await expect(items.insertOne({ _id: 'three' })).rejects.toBeInstanceOf(StoreWriteError);
    expect(() => journal.check()).toThrow(StoreWriteError);
  });

  it('one process per data directory: a second store on it is refused at once, naming the holder; closing frees it', async () => {
    const dataDir = newDataDir();
    const first = await openStore(dataDir);
    const refused = await openDurableStore({ dataDir }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DataDirInUseError);
    expect((refused as Error).message).toBe(
      `DATA_DIR ${dataDir} is in use by another desk process (pid ${process.pid}): one process per data directory; stop that one, or set MONGODB_URI to run several instances`,
    );
    await first.collection('items').insertOne({ _id: 'x' });
    await first.close();
    const second = await openStore(dataDir);
    expect(await second.collection('items').find({})).toEqual([{ _id: 'x' }]);
  });

  it('a SIGKILLed holder does not leave the directory locked', async () => {
    const dataDir = newDataDir();
    const script = `
      import { openDurableStore } from './src/store/embeddedDurable.ts';
      const store = await openDurableStore({ dataDir: process.env.DATA_DIR });
      await store.collection('items').insertOne({ _id: 'from-the-killed-one' });
      console.log('holding');
      setInterval(() => {}, 1000);
    `;
    const root = fileURLToPath(new URL('..', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env: { ...process.env, DATA_DIR: dataDir } });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('holding')) resolve();
        });
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.on('exit', () => reject(new Error(`the holder exited early:\n${output}`)));
      });
      await expect(openDurableStore({ dataDir })).rejects.toThrow(`(pid ${child.pid})`);
      child.kill('SIGKILL');
      await exited;
      const store = await openStore(dataDir);
      expect(await store.collection('items').find({})).toEqual([{ _id: 'from-the-killed-one' }]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('npm run backup copies a running store consistently; a desk opens the copy as its data directory', async () => {
    const store = await openStore(newDataDir());
    const items = store.collection<{ _id: string; n: number }>('items');
    await items.insertMany(Array.from({ length: 500 }, (_, n) => ({ _id: `i${n}`, n })));
    // A customer's photo as the media store keeps it, and a write still in progress beside it.
    const media = await createFileMediaStore(store.dataDir);
    await media.put('m_photo01', Buffer.from('jpeg bytes'));
    writeFileSync(join(store.dataDir, 'media', '01', '.m_other01.abc.tmp'), 'half');
    const target = join(newDataDir(), 'backup');
    const root = fileURLToPath(new URL('..', import.meta.url));
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/backup.ts', target], { cwd: root, env: { ...process.env, DATA_DIR: store.dataDir } });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`backup exited ${code}: ${text}`))));
    });
    expect(output).toMatch(new RegExp(`^backed up \\S+ to ${target} \\(\\d+ KiB, 1 media files\\)`));
    expect(readFileSync(join(target, 'media', '01', 'm_photo01'), 'utf8')).toBe('jpeg bytes');
    expect(existsSync(join(target, 'media', '01', '.m_other01.abc.tmp'))).toBe(false);
    // Written after the backup: not in it.
    await items.insertOne({ _id: 'later', n: -1 });
    const copy = await openStore(target);
    expect(await copy.collection('items').countDocuments()).toBe(500);
    expect(await copy.collection('items').findOne({ _id: 'i499' })).toEqual({ _id: 'i499', n: 499 });
  });
});
