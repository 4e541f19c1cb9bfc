// The embedded engine made durable: the data stays in memory for mingo, and
// every change is written to DATA_DIR through LMDB (a crash-safe,
// memory-mapped key-value store) before anything that saw it is answered.
//
// - One LMDB record per document, keyed [collection, place in insertion
//   order], so reading the database back in key order restores each
//   collection in its natural order; the indexes are rebuilt as it loads.
// - Group commit: lmdb-js puts every write of one event-loop turn in one
//   transaction, committed and synced to disk on its writer thread; the
//   journal hands out that commit's promise, which every operation of the
//   turn waits for. So a burst of webhooks costs one sync, not one each.
// - overlappingSync is off: a put's promise then resolves only once its
//   transaction is synced, which is exactly "acknowledged means on disk".
// - A failed commit (a full disk, say) leaves memory ahead of the disk, so
//   the store stops: every call after it rejects naming the cause, and ping
//   (readiness) fails, until a restart reloads what the disk holds.
// - One process per data directory (embeddedDataDirLock.ts).
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { open, type RootDatabase } from 'lmdb';
import { INDEXES } from './collections.js';
import { createEmbeddedEngine } from './embedded.js';
import type { Journal } from './embedded/journal.js';
import { lockDataDir } from './embeddedDataDirLock.js';
import type { Doc, IndexSpec, Store } from './port.js';

export interface DurableStoreOptions {
  dataDir: string;
  /** Indexes per collection name; defaults to the desk's INDEXES. */
  indexes?: Record<string, IndexSpec[]>;
  /** Records read at start-up between two reopenings of the database (see openDurableStore); tests make it small. */
  readChunk?: number;
}

export interface DurableStore extends Store {
  /** The data directory, absolute. */
  readonly dataDir: string;
  /** What start-up read back. */
  readonly loaded: { documents: number; collections: number; ms: number };
  /** LMDB's last transaction id: how many commits the data directory has seen (tests and benches watch group commit with it). */
  lastTransactionId(): number;
}

type Key = [collection: string, seq: number];

/**
 * A load of this many documents or more ends with a full garbage collection:
 * reading a million documents back leaves hundreds of MiB of garbage and
 * freed pages that V8 would otherwise keep resident until some later
 * collection (the desk's RSS when ready varied by 240 MiB between two runs at
 * 1M messages without it). One collection (a second or so) returns them.
 */
const FULL_GC_AFTER = 100_000;

/** A full collection: `gc` exposed for a moment, the way jest's leak detector gets it. */
function collectGarbage(): void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed();
  setFlagsFromString('--expose-gc');
  try {
    (runInNewContext('gc') as () => void)();
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/** Records read between two reopenings of the database at start-up, by default (see openDurableStore). */
const READ_CHUNK = 100_000;

export class StoreWriteError extends Error {
  constructor(readonly dataDir: string, cause: unknown) {
    super(`the embedded store could not write to ${dataDir} (${(cause as Error)?.message ?? String(cause)}); nothing more is accepted until the desk restarts`, { cause });
    this.name = 'StoreWriteError';
  }
}

export async function openDurableStore(options: DurableStoreOptions): Promise<DurableStore> {
  const dataDir = resolve(options.dataDir);
  const started = performance.now();
  mkdirSync(dataDir, { recursive: true });
  const lock = lockDataDir(dataDir);
  const openDb = () => {
    try {
      // noSubdir: false, or lmdb-js takes a directory name with a dot in it (`desk.data`) for a file name.
      return open<Doc, Key>({ path: dataDir, noSubdir: false, overlappingSync: false, sharedStructuresKey: Symbol.for('structures') });
    } catch (error) {
      lock.release();
      throw new Error(`DATA_DIR ${dataDir} could not be opened: ${(error as Error).message}`, { cause: error });
    }
  };
  let db = openDb();
  // The engine's collections write through this; the journal itself is made once the database is open for good (below).
  let journal: ReturnType<typeof createLmdbJournal> | null = null;
  const engine = createEmbeddedEngine({
    indexes: options.indexes ?? INDEXES,
    journal: {
      writesToDisk: true,
      record: (collection, seq, doc) => {
        if (!journal) throw new Error(`the embedded store on ${dataDir} is still loading`);
        journal.record(collection, seq, doc);
      },
      settled: () => journal?.settled() ?? null,
    },
  });

  // Reading records back pages the data file in, where the pages count as the
  // process's resident memory until the kernel wants them back; the documents
  // are in the heap once read, so the database is closed (its mapping
  // dropped) and opened afresh every `readChunk` records and once at the end.
  let documents = 0;
  const names = new Set<string>();
  let resumeAt: Key | null = null;
  const chunk = options.readChunk ?? READ_CHUNK;
  try {
    for (;;) {
      let read = 0;
      for (const { key, value } of db.getRange(resumeAt ? { start: resumeAt } : {})) {
        // The shared-structures record has a symbol key; every document an array one.
        if (!Array.isArray(key)) continue;
        const [name, seq] = key;
        // The range starts at the last record read before the reopening.
        if (resumeAt && name === resumeAt[0] && seq === resumeAt[1]) continue;
        engine.collection(name).restore(seq, value);
        names.add(name);
        documents++;
        resumeAt = key;
        if (++read === chunk) break;
      }
      await db.close();
      db = openDb();
      if (read < chunk) break;
    }
  } catch (error) {
    await db.close().catch(() => undefined);
    lock.release();
    throw new Error(`DATA_DIR ${dataDir} could not be loaded: ${(error as Error).message}`, { cause: error });
  }
  if (documents >= FULL_GC_AFTER) collectGarbage();
  const active = createLmdbJournal(db, dataDir);
  journal = active;

  let closing: Promise<void> | null = null;
  return {
    ...engine.store,
    dataDir,
    loaded: { documents, collections: names.size, ms: Math.round(performance.now() - started) },
    lastTransactionId: () => (db.getStats() as { lastTxnId: number }).lastTxnId,
    ping: async () => {
      active.check();
    },
    close() {
      closing ??= (async () => {
        try {
          await active.close();
          await db.close();
        } finally {
          lock.release();
        }
      })();
      return closing;
    },
  };
}

/** The journal over LMDB (exported for tests, which give it a database that fails). */
export function createLmdbJournal(db: Pick<RootDatabase<Doc, Key>, 'put' | 'remove'>, dataDir: string): Journal & { check(): void; close(): Promise<void> } {
  /** The last batch's commit, until it is done: later batches commit after earlier ones. */
  let pending: Promise<void> | null = null;
  let lastWrite: Promise<boolean> | null = null;
  let failure: StoreWriteError | null = null;
  let closed = false;

  const check = () => {
    if (failure) throw failure;
    if (closed) throw new Error(`the embedded store on ${dataDir} is closed`);
  };

  return {
    writesToDisk: true,
    check,
    record(collection, seq, doc) {
      check();
      const key: Key = [collection, seq];
      const write = doc ? db.put(key, doc) : db.remove(key);
      // Every write of one batch shares its commit's promise.
      if (write === lastWrite && pending) return;
      lastWrite = write;
      const committed: Promise<void> = write.then(
        () => {
          if (pending === committed) pending = null;
        },
        (error: unknown) => {
          failure ??= new StoreWriteError(dataDir, error);
          if (pending === committed) pending = null;
          throw failure;
        },
      );
      // Answered through settled(); this only keeps a failure nobody waits for from crashing the process.
      committed.catch(() => undefined);
      pending = committed;
    },
    settled() {
      if (failure) return Promise.reject(failure);
      return pending;
    },
    async close() {
      closed = true;
      await pending?.catch(() => undefined);
    },
  };
}
