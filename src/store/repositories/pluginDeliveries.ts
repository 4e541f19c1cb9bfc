import type { DomainEvent } from '../../events/types.js';
import { COLLECTIONS } from '../collections.js';
import { DuplicateKeyError, type Store } from '../port.js';

export type DeliveryState = 'pending' | 'done' | 'dead';

/** One event for one plugin: the outbox record in plugin_deliveries. */
export interface PluginDeliveryDoc {
  /** `<plugin>.<event id>`: publishing the same event twice records it once. */
  _id: string;
  plugin: string;
  /** The conversation id, or 'global' for events about no conversation (agent.status). */
  orderingKey: string;
  /** Time-ordered (newId): deliveries of one plugin+orderingKey go out in seq order. */
  seq: string;
  eventId: string;
  eventType: string;
  event: DomainEvent;
  state: DeliveryState;
  /** Tries so far (leases taken). */
  attempts: number;
  lastError: string | null;
  lastErrorAt: Date | null;
  /** Not tried again before this (backoff, Retry-After). */
  nextAttemptAt: Date;
  /** A drain holds the delivery until then; null when free. */
  leaseUntil: Date | null;
  leaseToken: string | null;
  /** The job that scheduled the pending retry, and will come back for it. */
  retryOwner: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  deadAt: Date | null;
}

/** The oldest pending delivery of one conversation (for one plugin). */
export interface PendingHead {
  orderingKey: string;
  nextAttemptAt: Date;
  leaseUntil: Date | null;
}

/** What the integrations screen shows of one plugin's deliveries. */
export interface DeliveryStats {
  /** Waiting, including those in retry. */
  pending: number;
  deadLetters: number;
  /** Pending after at least one failure. */
  retrying: number;
  lastError: string | null;
  lastErrorAt: Date | null;
  lastDeliveredAt: Date | null;
}

/** Documents the embedded engine hands back may carry dates as ISO strings. */
export function toDate(value: Date | string | number): Date {
  return value instanceof Date ? value : new Date(value);
}

/**
 * The plugin outbox (plugin_deliveries). Every change after the insert is
 * conditional on the lease token, so a drain that lost its lease changes nothing.
 */
export function pluginDeliveryRepository(store: Store) {
  const deliveries = store.collection<PluginDeliveryDoc>(COLLECTIONS.pluginDeliveries);
  const released = { leaseUntil: null, leaseToken: null };
  return {
    /** False when this event was already recorded for this plugin. */
    async record(doc: PluginDeliveryDoc): Promise<boolean> {
      try {
        await deliveries.insertOne(doc);
        return true;
      } catch (error) {
        if (error instanceof DuplicateKeyError) return false;
        throw error;
      }
    },

    oldestPending: (plugin: string, orderingKey: string) => deliveries.findOne({ plugin, orderingKey, state: 'pending' }, { sort: { seq: 1 } }),

    /** Takes the lease if the delivery is still pending, due and free; counts the attempt. Null when another drain won. */
    lease: (id: string, now: Date, leaseUntil: Date, token: string) =>
      deliveries.findOneAndUpdate(
        { _id: id, state: 'pending', nextAttemptAt: { $lte: now }, $or: [{ leaseUntil: null }, { leaseUntil: { $lte: now } }] },
        { $set: { leaseUntil, leaseToken: token }, $inc: { attempts: 1 } },
        { returnDocument: 'after' },
      ),

    /** False when the lease had expired and been taken over before the delivery finished. */
    async markDelivered(id: string, token: string, at: Date): Promise<boolean> {
      const result = await deliveries.updateOne({ _id: id, leaseToken: token }, { $set: { state: 'done', deliveredAt: at, retryOwner: null, ...released } });
      return result.matchedCount > 0;
    },

    async markDead(id: string, token: string, error: string, at: Date): Promise<void> {
      await deliveries.updateOne({ _id: id, leaseToken: token }, { $set: { state: 'dead', lastError: error, lastErrorAt: at, deadAt: at, retryOwner: null, ...released } });
    },

    /** Back to pending until `nextAttemptAt`; `owner` is the job that will come back for it. */
    async scheduleRetry(id: string, token: string, retry: { error: string; at: Date; nextAttemptAt: Date; owner: string }): Promise<void> {
      await deliveries.updateOne(
        { _id: id, leaseToken: token },
        { $set: { lastError: retry.error, lastErrorAt: retry.at, nextAttemptAt: retry.nextAttemptAt, retryOwner: retry.owner, ...released } },
      );
    },

    /** The oldest pending delivery of each of the plugin's conversations. */
    async pendingHeads(plugin: string): Promise<PendingHead[]> {
      const heads = await deliveries.aggregate<{ _id: string; nextAttemptAt: Date | string; leaseUntil: Date | string | null }>([
        { $match: { plugin, state: 'pending' } },
        { $sort: { orderingKey: 1, seq: 1 } },
        { $group: { _id: '$orderingKey', nextAttemptAt: { $first: '$nextAttemptAt' }, leaseUntil: { $first: '$leaseUntil' } } },
      ]);
      return heads.map((h) => ({ orderingKey: h._id, nextAttemptAt: toDate(h.nextAttemptAt), leaseUntil: h.leaseUntil ? toDate(h.leaseUntil) : null }));
    },

    async pruneDelivered(plugin: string, before: Date): Promise<void> {
      await deliveries.deleteMany({ plugin, state: 'done', deliveredAt: { $lt: before } });
    },

    async stats(plugin: string): Promise<DeliveryStats> {
      const [pending, deadLetters, retrying, lastFailed, lastDone] = await Promise.all([
        deliveries.countDocuments({ plugin, state: 'pending' }),
        deliveries.countDocuments({ plugin, state: 'dead' }),
        deliveries.countDocuments({ plugin, state: 'pending', lastError: { $ne: null } }),
        deliveries.findOne({ plugin, lastErrorAt: { $ne: null } }, { sort: { lastErrorAt: -1 } }),
        deliveries.findOne({ plugin, state: 'done' }, { sort: { deliveredAt: -1 } }),
      ]);
      return {
        pending,
        deadLetters,
        retrying,
        lastError: lastFailed?.lastError ?? null,
        lastErrorAt: lastFailed?.lastErrorAt ? toDate(lastFailed.lastErrorAt) : null,
        lastDeliveredAt: lastDone?.deliveredAt ? toDate(lastDone.deliveredAt) : null,
      };
    },

    /** Sets the plugin's dead letters back to pending with fresh attempts; returns how many, and the conversations to drain. */
    async revive(plugin: string, now: Date): Promise<{ count: number; orderingKeys: string[] }> {
      const dead = await deliveries.find({ plugin, state: 'dead' }, { projection: { orderingKey: 1 } });
      if (dead.length === 0) return { count: 0, orderingKeys: [] };
      const result = await deliveries.updateMany(
        { plugin, state: 'dead' },
        { $set: { state: 'pending', attempts: 0, nextAttemptAt: now, deadAt: null, retryOwner: null, ...released } },
      );
      return { count: result.modifiedCount, orderingKeys: [...new Set(dead.map((d) => d.orderingKey))] };
    },
  };
}

export type PluginDeliveryRepository = ReturnType<typeof pluginDeliveryRepository>;
