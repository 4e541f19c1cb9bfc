// Where the desk keeps media bytes: files under DATA_DIR beside the embedded
// store, a GridFS bucket with MongoDB, or memory (DATA_DIR=memory, tests).
// Keys are message ids: one file per message.
import type { Readable } from 'node:stream';

export interface StoredMedia {
  size: number;
  /** The bytes, streamed. */
  stream(): Readable;
}

export interface MediaStore {
  readonly kind: 'memory' | 'files' | 'gridfs';
  /** Durable when it resolves; writing a key again replaces it (a retried job). */
  put(key: string, bytes: Buffer): Promise<void>;
  get(key: string): Promise<StoredMedia | null>;
  close(): Promise<void>;
}
