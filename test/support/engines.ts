// Every storage engine this machine can run, for suites that must hold on all
// of them (`describe.each(await availableEngines())`):
// - `embedded` in memory and `embedded on disk` (the durable store, each on a
//   data directory of its own under the system's temp directory), always;
// - `mongo`, when MONGODB_URI is set, or when a `mongod` binary is on the PATH
//   (then mongodb-memory-server runs that binary; it never downloads one).
// When MongoDB is not available, one line says so, and why: the mongo engine
// is then simply not in the list, never imitated.
//
//   const engines = await availableEngines();
//   describe.each(engines)('$name store', (engine) => {
//     let store: Store;
//     beforeEach(async () => { store = await engine.create(); });
//     afterAll(() => engine.cleanup());
//   });
//
// Every create() returns an empty store: a new embedded store, or a mongo
// store on a database of its own (dropped by cleanup()). An engine that keeps
// its data across a restart has reopen(): it closes the store and opens it
// again on the same data.
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import type { MongoMemoryServer } from 'mongodb-memory-server-core';
import { createEmbeddedStore } from '../../src/store/embedded.js';
import { openDurableStore, type DurableStore } from '../../src/store/embeddedDurable.js';
import { createMongoStore, redactUri, type StoreLogger } from '../../src/store/mongo.js';
import type { Store } from '../../src/store/port.js';

export interface Engine {
  name: string;
  kind: Store['kind'];
  /** An empty store of this engine. */
  create(): Promise<Store>;
  /** For engines that keep data across restarts: closes the store and opens its data again. */
  reopen?(store: Store): Promise<Store>;
  /** Closes every store create() made and releases what the engine started (test databases, mongod). */
  cleanup(): Promise<void>;
}

type MongoSource = { uri: string } | { systemBinary: string } | { unavailable: string };

export async function availableEngines(): Promise<Engine[]> {
  const engines: Engine[] = [embeddedEngine(), durableEngine()];
  const source = mongoSource();
  if ('unavailable' in source) console.warn(`[store] the mongo engine is NOT tested here: ${source.unavailable}`);
  else engines.push(mongoEngine(source));
  return engines;
}

function embeddedEngine(): Engine {
  return {
    name: 'embedded',
    kind: 'embedded',
    create: async () => createEmbeddedStore(),
    cleanup: async () => {},
  };
}

function durableEngine(): Engine {
  const stores = new Set<DurableStore>();
  const dirs: string[] = [];
  const open = async (dataDir: string) => {
    const store = await openDurableStore({ dataDir });
    stores.add(store);
    return store;
  };
  return {
    name: 'embedded on disk',
    kind: 'embedded',
    async create() {
      const dir = mkdtempSync(join(tmpdir(), 'desk-store-'));
      dirs.push(dir);
      return open(dir);
    },
    async reopen(store) {
      const durable = store as DurableStore;
      await durable.close();
      stores.delete(durable);
      return open(durable.dataDir);
    },
    async cleanup() {
      await Promise.all([...stores].map((store) => store.close()));
      stores.clear();
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function mongoSource(): MongoSource {
  const uri = process.env.MONGODB_URI?.trim();
  if (uri) return { uri };
  const systemBinary = onPath('mongod');
  if (systemBinary) return { systemBinary };
  return { unavailable: 'MONGODB_URI is unset and no mongod binary is on the PATH' };
}

function onPath(binary: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** Quiet on success; what goes wrong with the connection still shows. */
const testLogger: StoreLogger = {
  info: () => {},
  warn: (objOrMessage, message) => console.warn('[mongo]', message ?? objOrMessage),
  error: (objOrMessage, message) => console.error('[mongo]', message ?? objOrMessage, objOrMessage),
};

function mongoEngine(source: { uri: string } | { systemBinary: string }): Engine {
  let server: MongoMemoryServer | null = null;
  let serverUri: Promise<string> | null = null;
  const stores: Store[] = [];
  const databases: string[] = [];

  const uri = (): Promise<string> => {
    if ('uri' in source) return Promise.resolve(source.uri);
    serverUri ??= (async () => {
      const { MongoMemoryServer } = await import('mongodb-memory-server-core');
      server = await MongoMemoryServer.create({ binary: { systemBinary: source.systemBinary } });
      return server.getUri();
    })();
    return serverUri;
  };

  return {
    name: 'mongo',
    kind: 'mongo',
    async create() {
      const dbName = `desk_test_${randomBytes(6).toString('hex')}`;
      databases.push(dbName);
      const store = await createMongoStore(await uri(), { logger: testLogger, dbName, serverSelectionTimeoutMS: 5_000 });
      stores.push(store);
      return store;
    },
    async cleanup() {
      await Promise.all(stores.splice(0).map((store) => store.close()));
      if (databases.length && (serverUri || 'uri' in source)) {
        const target = await uri();
        const connection = await mongoose.createConnection(target, { serverSelectionTimeoutMS: 5_000 }).asPromise();
        try {
          for (const name of databases.splice(0)) await connection.useDb(name).dropDatabase();
        } catch (error) {
          console.warn(`[store] could not drop test databases at ${redactUri(target)}:`, error);
        } finally {
          await connection.close();
        }
      }
      if (server) await (server as MongoMemoryServer).stop();
      server = null;
      serverUri = null;
    },
  };
}
