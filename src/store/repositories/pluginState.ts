import { COLLECTIONS } from '../collections.js';
import { DuplicateKeyError, type Store } from '../port.js';
import { toDate } from './pluginDeliveries.js';

/** A plugin's key-value state in plugin_state. */
export interface PluginStateDoc {
  /** `<plugin>/<key>` */
  _id: string;
  plugin: string;
  key: string;
  value: unknown;
  /** Absent or null: kept for good. Past it the key reads as absent, and the sweep deletes it. */
  expiresAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

interface StateOptions {
  /** Time to live; kept for good when omitted. */
  ttlMs?: number;
}

function isExpired(doc: PluginStateDoc, now: Date): boolean {
  return doc.expiresAt != null && toDate(doc.expiresAt).getTime() <= now.getTime();
}

/** plugin_state: one document per plugin+key. `forPlugin` is the PluginState a plugin's context carries. */
export function pluginStateRepository(store: Store) {
  const states = store.collection<PluginStateDoc>(COLLECTIONS.pluginState);
  return {
    forPlugin(plugin: string, clock: () => Date = () => new Date()) {
      const idOf = (key: string) => `${plugin}/${key}`;
      const expiryOf = (now: Date, options?: StateOptions) => (options?.ttlMs !== undefined ? new Date(now.getTime() + options.ttlMs) : null);
      const fields = (value: unknown, now: Date, options?: StateOptions) => ({ value: value ?? null, expiresAt: expiryOf(now, options), updatedAt: now });
      return {
        async get<T = unknown>(key: string): Promise<T | null> {
          const doc = await states.findOne({ _id: idOf(key) });
          if (!doc || isExpired(doc, clock())) return null;
          // The plugin wrote it; the store keeps no type.
          return (doc.value ?? null) as T | null;
        },
        async set(key: string, value: unknown, options?: StateOptions): Promise<void> {
          const now = clock();
          const update = { $set: fields(value, now, options), $setOnInsert: { _id: idOf(key), createdAt: now } };
          try {
            await states.findOneAndUpdate({ plugin, key }, update, { upsert: true });
          } catch (error) {
            // Two upserts raced to insert: the other one won, so update it.
            if (!(error instanceof DuplicateKeyError)) throw error;
            await states.updateOne({ plugin, key }, { $set: fields(value, now, options) });
          }
        },
        async setIfAbsent(key: string, value: unknown, options?: StateOptions): Promise<boolean> {
          const now = clock();
          try {
            // The unique _id (and unique plugin+key index) makes this the atomic test-and-set.
            await states.insertOne({ _id: idOf(key), plugin, key, ...fields(value, now, options), createdAt: now });
            return true;
          } catch (error) {
            if (!(error instanceof DuplicateKeyError)) throw error;
          }
          // Present but expired (the sweep has not run yet): take it over, atomically, once.
          const taken = await states.updateOne({ _id: idOf(key), expiresAt: { $lte: now } }, { $set: { ...fields(value, now, options), createdAt: now } });
          return taken.matchedCount === 1;
        },
      };
    },

    async pruneExpired(now: Date): Promise<void> {
      await states.deleteMany({ expiresAt: { $lte: now } });
    },
  };
}

export type PluginStateRepository = ReturnType<typeof pluginStateRepository>;
