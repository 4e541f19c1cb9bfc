// A consistent copy of a running desk's data directory. LMDB lets other
// processes read while the desk writes: this one opens the data read-only
// (so it takes no desk lock), and LMDB copies one committed snapshot,
// compacted. The copy is a data directory of its own: start a desk on it to
// restore. (The stock mdb_copy tool cannot read lmdb-js's file format.)
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { open } from 'lmdb';

export async function backupDataDir(dataDir: string, targetDir: string): Promise<{ target: string; bytes: number }> {
  const source = resolve(dataDir);
  const target = resolve(targetDir);
  if (!existsSync(join(source, 'data.mdb'))) throw new Error(`${source} holds no desk data (no data.mdb)`);
  if (existsSync(target) && readdirSync(target).length > 0) throw new Error(`${target} is not empty: back up into a new or empty directory`);
  mkdirSync(target, { recursive: true });
  const db = open({ path: source, noSubdir: false, readOnly: true });
  try {
    // LMDB writes data.mdb into the (existing) directory it is given.
    await db.backup(target, true);
  } finally {
    await db.close();
  }
  return { target, bytes: statSync(join(target, 'data.mdb')).size };
}
