import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { MediaStore } from './port.js';

const SAFE_KEY = /^[A-Za-z0-9_-]{1,128}$/;

function requireSafe(key: string): string {
  // Keys are our own ids; anything else must never become a path.
  if (!SAFE_KEY.test(key)) throw new Error(`invalid media key "${key}"`);
  return key;
}

/**
 * Files under `<dataDir>/media/<last two characters>/<key>`. A write goes to
 * a temporary file, is fsynced, then renamed over the key, so a crash leaves
 * either the old file or the new one, never half of one.
 */
export async function createFileMediaStore(dataDir: string): Promise<MediaStore> {
  const root = join(dataDir, 'media');
  await mkdir(root, { recursive: true });
  const pathOf = (key: string) => join(root, requireSafe(key).slice(-2), key);

  return {
    kind: 'files',
    async put(key, bytes) {
      const target = pathOf(key);
      const dir = join(root, key.slice(-2));
      await mkdir(dir, { recursive: true });
      const temporary = join(dir, `.${key}.${randomBytes(6).toString('hex')}.tmp`);
      const handle = await open(temporary, 'w');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await rename(temporary, target);
      } catch (error) {
        await unlink(temporary).catch(() => {});
        throw error;
      }
      // The rename itself is durable once the directory is synced.
      const directory = await open(dir, 'r');
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
    },
    async get(key) {
      const path = pathOf(key);
      try {
        const info = await stat(path);
        return { size: info.size, stream: () => createReadStream(path) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async close() {},
  };
}
