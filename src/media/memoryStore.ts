import { Readable } from 'node:stream';
import type { MediaStore } from './port.js';

/** DATA_DIR=memory: media live as long as the process, like the embedded store's data. */
export function createMemoryMediaStore(): MediaStore {
  const files = new Map<string, Buffer>();
  return {
    kind: 'memory',
    async put(key, bytes) {
      files.set(key, Buffer.from(bytes));
    },
    async get(key) {
      const bytes = files.get(key);
      return bytes ? { size: bytes.length, stream: () => Readable.from([bytes]) } : null;
    },
    async close() {
      files.clear();
    },
  };
}
