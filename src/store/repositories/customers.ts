import type { CustomerDoc } from '../../domain/model.js';
import { COLLECTIONS } from '../collections.js';
import { newId } from '../ids.js';
import { DuplicateKeyError, type Store } from '../port.js';
import { escapeRegex } from './regex.js';

export function customerRepository(store: Store) {
  const customers = store.collection<CustomerDoc>(COLLECTIONS.customers);
  return {
    byId: (id: string) => customers.findOne({ _id: id }),
    byIds: (ids: string[]) => customers.find({ _id: { $in: ids } }),
    byWaId: (waId: string) => customers.findOne({ waId }),
    /** Ids of customers whose name contains `text`, ignoring case. */
    async idsNamed(text: string, limit: number): Promise<string[]> {
      const found = await customers.find({ name: { $regex: escapeRegex(text), $options: 'i' } }, { limit, projection: { _id: 1 } });
      return found.map((c) => c._id);
    },

    /** Upsert by wa_id, keeping the latest profile name WhatsApp sent. */
    async upsert(waId: string, name: string | null, now: Date): Promise<CustomerDoc> {
      const update = {
        $set: { updatedAt: now, ...(name ? { name } : {}) },
        $setOnInsert: { _id: newId(now.getTime()), waId, createdAt: now, ...(name ? {} : { name: null }) },
      };
      try {
        return (await customers.findOneAndUpdate({ waId }, update, { upsert: true, returnDocument: 'after' }))!;
      } catch (error) {
        // Two first messages from one customer raced to insert: the other won, so update theirs.
        if (!(error instanceof DuplicateKeyError)) throw error;
        return (await customers.findOneAndUpdate({ waId }, update, { returnDocument: 'after' }))!;
      }
    },
  };
}

export type CustomerRepository = ReturnType<typeof customerRepository>;
