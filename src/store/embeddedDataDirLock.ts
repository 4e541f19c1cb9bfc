// One process per data directory. The embedded engine keeps the data in
// memory and writes every change through; a second process on the same
// directory would hold a different picture of it and overwrite the first
// one's writes. The lock is an OS file lock (an open-file-description lock on
// Linux, flock on macOS) on DATA_DIR/desk.lock: the kernel drops it when the
// holder dies, SIGKILL included, so a crashed desk never leaves it stuck. The
// file also names the holder's pid, for the message only.
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tryLock, unlock } from 'fs-native-extensions';

export const LOCK_FILE = 'desk.lock';

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number | null,
  ) {
    super(
      `DATA_DIR ${dataDir} is in use by another desk process${holderPid ? ` (pid ${holderPid})` : ''}: ` +
        'one process per data directory; stop that one, or set MONGODB_URI to run several instances',
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  release(): void;
}

/** Takes the directory's lock or throws DataDirInUseError at once; never waits. */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  const fd = openSync(path, 'a+');
  let granted = false;
  try {
    granted = tryLock(fd);
  } finally {
    if (!granted) closeSync(fd);
  }
  if (!granted) throw new DataDirInUseError(dataDir, holderOf(path));
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      try {
        unlock(fd);
      } finally {
        closeSync(fd);
      }
    },
  };
}

function holderOf(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
