// A consistent copy of a running desk's data directory. LMDB lets other
// processes read while the desk writes: this one opens the data read-only
// (so it takes no desk lock), and LMDB copies one committed snapshot,
// compacted. The copy is a data directory of its own: start a desk on it to
// restore. (The stock mdb_copy tool cannot read lmdb-js's file format.)
// Media files (DATA_DIR/media) are copied after the snapshot: a file is
// written before its message says READY and never changes afterwards, so
// every file the snapshot refers to is there to copy. The directory's
// instance-id is not copied: a restored copy is a desk of its own.
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { open } from 'lmdb';

export async function backupDataDir(dataDir: string, targetDir: string): Promise<{ target: string; bytes: number; mediaFiles: number }> {
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
  return { target, bytes: statSync(join(target, 'data.mdb')).size, mediaFiles: copyMedia(source, target) };
}

/** Copies DATA_DIR/media's finished files (not writes still in progress); returns how many. */
function copyMedia(source: string, target: string): number {
  const media = join(source, 'media');
  if (!existsSync(media)) return 0;
  let files = 0;
  cpSync(media, join(target, 'media'), {
    recursive: true,
    filter: (path) => {
      const temporary = path.endsWith('.tmp');
      if (!temporary && statSync(path).isFile()) files++;
      return !temporary;
    },
  });
  return files;
}
