import type { CannedResponseDoc } from '../../domain/model.js';
import { COLLECTIONS } from '../collections.js';
import { newId } from '../ids.js';
import type { Store } from '../port.js';

export interface CannedResponseInput {
  shortcut: string;
  text: string;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Canned responses; the unique index on `shortcut` makes a duplicate a DuplicateKeyError. */
export function cannedResponseRepository(store: Store) {
  const canned = store.collection<CannedResponseDoc>(COLLECTIONS.cannedResponses);
  return {
    /** By shortcut; `search` matches shortcut or text, case-insensitively. */
    list(search: string | null, limit: number): Promise<CannedResponseDoc[]> {
      const pattern = search ? { $regex: escapeRegex(search), $options: 'i' } : null;
      return canned.find(pattern ? { $or: [{ shortcut: pattern }, { text: pattern }] } : {}, { sort: { shortcut: 1 }, limit });
    },
    byId: (id: string) => canned.findOne({ _id: id }),
    create: (input: CannedResponseInput, createdBy: string | null, now: Date) =>
      canned.insertOne({ _id: newId(now.getTime()), ...input, createdBy, createdAt: now, updatedAt: now }),
    update: (id: string, changes: Partial<CannedResponseInput>, now: Date) =>
      canned.findOneAndUpdate({ _id: id }, { $set: { ...changes, updatedAt: now } }, { returnDocument: 'after' }),
    /** True when it existed. */
    async remove(id: string): Promise<boolean> {
      return (await canned.deleteMany({ _id: id })) > 0;
    },
  };
}

export type CannedResponseRepository = ReturnType<typeof cannedResponseRepository>;
