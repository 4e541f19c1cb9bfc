// A data directory's own name for itself, kept in DATA_DIR/instance-id and
// made once. An instance on the embedded store announces itself to its peers
// under this name: a desk restarted on the same directory (after a crash,
// when its predecessor's heartbeat has not yet run out) is the same instance
// holding the same data, not a second one.
import { randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const IDENTITY_FILE = 'instance-id';

/** Reads the directory's identity, creating it on first use. The caller holds the directory's lock. */
export function dataDirIdentity(dataDir: string): string {
  const path = join(dataDir, IDENTITY_FILE);
  try {
    const existing = readFileSync(path, 'utf8').trim();
    if (existing) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const identity = `data-${randomUUID()}`;
  // Written aside and renamed: a crash mid-write leaves no half identity behind.
  const draft = `${path}.${process.pid}.tmp`;
  writeFileSync(draft, `${identity}\n`, { flush: true });
  renameSync(draft, path);
  return identity;
}
