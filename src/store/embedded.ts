// The embedded engine: the store port over in-memory maps, with the filter,
// update, sort, projection and aggregation documents executed by mingo
// (MongoDB's query language for in-memory data). It is the default engine,
// so everything the repositories ask of MongoDB must mean the same here:
// - every method does its work synchronously, at its call, so a
//   findOneAndUpdate with a precondition is atomic within the process; it
//   answers once its journal has made every change so far durable (the
//   durable store, embeddedDurable.ts, journals to disk; DATA_DIR=memory to
//   nothing), or inside a batch at once, the batch waiting for the disk as a
//   whole (embedded/durability.ts);
// - unique indexes (compound and sparse ones too) are enforced on every write
//   and a violating write throws DuplicateKeyError and changes nothing;
// - callers only ever see copies: documents going in and coming out are
//   deep-copied, and aggregation never lets a pipeline stage modify stored
//   documents.
import type { Options } from 'mingo/types';
import { INDEXES } from './collections.js';
import { EmbeddedCollection } from './embedded/collection.js';
import { Durability } from './embedded/durability.js';
import { memoryJournal, type Journal } from './embedded/journal.js';
import { createContext } from './embedded/mingoContext.js';
import type { Collection, Doc, IndexSpec, Store } from './port.js';

export interface EmbeddedStoreOptions {
  /** Indexes per collection name; defaults to the desk's INDEXES. Collections not listed have none. */
  indexes?: Record<string, IndexSpec[]>;
  /** Where changes go besides memory; none by default. */
  journal?: Journal;
}

/** The store, and its collections as the engine's own class (the durable store restores documents into them). */
export interface EmbeddedEngine {
  store: Store;
  collection(name: string): EmbeddedCollection;
}

export function createEmbeddedStore(options: EmbeddedStoreOptions = {}): Store {
  return createEmbeddedEngine(options).store;
}

export function createEmbeddedEngine(options: EmbeddedStoreOptions = {}): EmbeddedEngine {
  const indexes: Record<string, IndexSpec[]> = options.indexes ?? INDEXES;
  const durability = new Durability(options.journal ?? memoryJournal);
  const collections = new Map<string, EmbeddedCollection>();

  const collectionNamed = (name: string): EmbeddedCollection => {
    let collection = collections.get(name);
    if (!collection) {
      collection = new EmbeddedCollection(name, indexes[name] ?? [], mingoOptions, durability);
      collections.set(name, collection);
    }
    return collection;
  };

  // $lookup / $unionWith / $graphLookup name other collections; they read them as they are now.
  const mingoOptions: Partial<Options> = {
    context: createContext(),
    collectionResolver: (name: string) => collectionNamed(name).snapshot(),
  };

  const store: Store = {
    kind: 'embedded',
    collection: <T extends Doc>(name: string) => collectionNamed(name) as unknown as Collection<T>,
    ping: async () => {},
    batch: (work) => durability.batch(work),
    afterDurable: (effect) => durability.afterDurable(effect),
    // In memory, the data lives as long as the process; closing has nothing to release.
    close: async () => {},
  };
  return { store, collection: collectionNamed };
}
