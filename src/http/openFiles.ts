// Every socket is an open file. A process that accepts WebSocket upgrades
// without a ceiling runs out of descriptors, and then nothing answers: not
// /healthz, not Meta's webhook. The ceiling is derived from the process's
// own limit so that room always remains for HTTP, the store and Redis.
import { readFileSync } from 'node:fs';

/** The soft "Max open files" limit, or null where the platform does not say (no /proc). */
export function openFileLimit(limitsFile = '/proc/self/limits'): number | null {
  try {
    const line = readFileSync(limitsFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (!soft || soft === 'unlimited') return null;
    const value = Number(soft);
    return Number.isInteger(value) && value > 0 ? value : null;
  } catch {
    return null;
  }
}

/** Used when the limit cannot be read: safe under the common 1024 soft limit's double, sane on servers. */
export const FALLBACK_MAX_CONNECTIONS = 1_000;
/** Never more than this many sockets by default, however high the limit: each costs memory too. */
export const CEILING_MAX_CONNECTIONS = 10_000;
/** Share of the open-file limit that WebSockets may take by default; the rest is for HTTP, storage and Redis. */
const SOCKET_SHARE = 0.5;
/** Above this share of the limit a configured cap is warned about. */
const WARN_SHARE = 0.8;

export interface ConnectionCeiling {
  maxConnections: number;
  /** A line for the log when the configured cap leaves too little room, else null. */
  warning: string | null;
}

export function connectionCeiling(configured: number | null, limit: number | null): ConnectionCeiling {
  if (configured !== null) {
    const warning =
      limit !== null && configured > limit * WARN_SHARE
        ? `WS_MAX_CONNECTIONS=${configured} is close to or above the process's open-file limit (${limit}): raise \`ulimit -n\` or lower WS_MAX_CONNECTIONS, or HTTP and webhooks may starve`
        : null;
    return { maxConnections: configured, warning };
  }
  if (limit === null) return { maxConnections: FALLBACK_MAX_CONNECTIONS, warning: null };
  const derived = Math.max(1, Math.min(CEILING_MAX_CONNECTIONS, Math.floor(limit * SOCKET_SHARE)));
  const warning = limit < 4_096 ? `the process may open only ${limit} files (\`ulimit -n\`): graphql-ws is capped at ${derived} connections; raise the limit for more` : null;
  return { maxConnections: derived, warning };
}
