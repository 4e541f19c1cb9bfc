import type { Doc } from '../port.js';

/**
 * Where the embedded engine's changes go besides memory. A collection calls
 * `record` for each document change after its checks and before memory
 * changes, so a change that cannot be recorded changes nothing; and it
 * answers no call (read, write or error) before `settled()` resolves, so no
 * caller ever learns of a change that is not yet durable.
 */
export interface Journal {
  /** False for memory: nothing is ever waited for, so batches need no bookkeeping. */
  readonly writesToDisk: boolean;
  /** `seq` is the document's place in its collection (insertion order); `doc` null deletes it. Throws when nothing more can be recorded. */
  record(collection: string, seq: number, doc: Doc | null): void;
  /** Resolves once every change recorded so far is durable; null when nothing is waiting. Rejects once the journal has failed. */
  settled(): Promise<void> | null;
}

/** DATA_DIR=memory: nothing to wait for. */
export const memoryJournal: Journal = {
  writesToDisk: false,
  record() {},
  settled: () => null,
};
