// Knows whether each outside dependency (Redis) is reachable, for /readyz and
// for operations that should fail fast instead of waiting on a reconnecting
// client. It also keeps the log readable during an outage: one line when a
// dependency goes down, one when it comes back, and a periodic summary in
// between, however many clients and operations fail meanwhile.
import type { Redis } from 'ioredis';

export interface MonitorLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DependencyStatus {
  name: string;
  up: boolean;
  /** When it last changed state. */
  since: Date;
  /** Failures counted while down (connection errors, failed operations). */
  failuresWhileDown: number;
}

/** What a component that owns Redis clients needs: register them, report failed operations. */
export interface DependencyReporter {
  /** Follows a client's connection events; the dependency is up while all its watched clients are ready. */
  watchRedis(name: string, client: Redis, role: string): void;
  /** An operation on the dependency failed: counted, and logged only when the dependency looked healthy. */
  failed(name: string, error: unknown, context?: Record<string, unknown>): void;
}

export interface DependencyMonitor extends DependencyReporter {
  /** Names of the dependencies that are down now. */
  down(): string[];
  isUp(name: string): boolean;
  statuses(): DependencyStatus[];
  close(): void;
}

export interface DependencyMonitorOptions {
  logger: MonitorLogger;
  /** How often a still-down dependency gets its summary line. */
  summaryIntervalMs?: number;
  /** While a dependency looks up, failed operations are logged at most this often. */
  failureLogIntervalMs?: number;
  now?: () => number;
}

interface Dependency {
  name: string;
  clients: Map<Redis, { role: string; ready: boolean }>;
  /** Set from operations: a failed operation while all clients look ready. */
  up: boolean;
  since: number;
  failures: number;
  failuresSinceSummary: number;
  lastError: string | null;
  lastFailureLogAt: number;
  /** Whether the current outage was logged: one that began before the first connection is logged on its first error. */
  announced: boolean;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createDependencyMonitor(options: DependencyMonitorOptions): DependencyMonitor {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const summaryIntervalMs = options.summaryIntervalMs ?? 60_000;
  const failureLogIntervalMs = options.failureLogIntervalMs ?? 30_000;
  const dependencies = new Map<string, Dependency>();
  let closed = false;

  function dependency(name: string): Dependency {
    let found = dependencies.get(name);
    if (!found) {
      found = { name, clients: new Map(), up: true, since: now(), failures: 0, failuresSinceSummary: 0, lastError: null, lastFailureLogAt: Number.NEGATIVE_INFINITY, announced: false };
      dependencies.set(name, found);
    }
    return found;
  }

  function clientsReady(d: Dependency): boolean {
    for (const client of d.clients.values()) if (!client.ready) return false;
    return true;
  }

  function announceDown(d: Dependency, reason: string | null): void {
    d.announced = true;
    logger.error({ dependency: d.name, reason }, `${d.name} unreachable: work is kept in the store and resumes when it is back`);
  }

  function setUp(d: Dependency, up: boolean, reason: string | null): void {
    if (closed) return;
    if (d.up === up) {
      // Never reached since start-up: its first error is the outage's one line.
      if (!up && !d.announced) announceDown(d, reason);
      return;
    }
    const downForMs = now() - d.since;
    d.up = up;
    d.since = now();
    if (up) {
      logger.info({ dependency: d.name, downForMs, failuresWhileDown: d.failures }, `${d.name} reachable`);
      d.failures = 0;
      d.failuresSinceSummary = 0;
      d.announced = false;
    } else {
      announceDown(d, reason);
    }
  }

  const summary = setInterval(() => {
    for (const d of dependencies.values()) {
      if (d.up) continue;
      logger.warn(
        { dependency: d.name, downForMs: now() - d.since, failuresSinceLastSummary: d.failuresSinceSummary, lastError: d.lastError },
        `${d.name} still unreachable`,
      );
      d.failuresSinceSummary = 0;
    }
  }, summaryIntervalMs);
  summary.unref();

  return {
    watchRedis(name, client, role) {
      const d = dependency(name);
      const entry = { role, ready: client.status === 'ready' };
      d.clients.set(client, entry);
      client.on('ready', () => {
        entry.ready = true;
        if (clientsReady(d)) setUp(d, true, null);
      });
      const lost = (reason: string) => {
        entry.ready = false;
        d.failures += 1;
        d.failuresSinceSummary += 1;
        d.lastError = reason;
        setUp(d, false, `${role}: ${reason}`);
      };
      client.on('error', (error: unknown) => lost(messageOf(error)));
      client.on('close', () => lost('connection closed'));
      // Until a lazily connecting client is ready, the dependency is not known to be up.
      if (!entry.ready) {
        d.up = false;
        d.since = now();
      }
    },

    failed(name, error, context = {}) {
      const d = dependency(name);
      d.failures += 1;
      d.failuresSinceSummary += 1;
      d.lastError = messageOf(error);
      if (!d.up) return; // the outage was announced once; the summary counts the rest
      if (now() - d.lastFailureLogAt < failureLogIntervalMs) return;
      d.lastFailureLogAt = now();
      logger.warn({ dependency: name, err: d.lastError, ...context }, `${name} operation failed`);
    },

    down: () => [...dependencies.values()].filter((d) => !d.up).map((d) => d.name),
    isUp: (name) => dependencies.get(name)?.up ?? true,
    statuses: () =>
      [...dependencies.values()].map((d) => ({ name: d.name, up: d.up, since: new Date(d.since), failuresWhileDown: d.up ? 0 : d.failures })),
    close() {
      // Clients quitting at shutdown are not an outage.
      closed = true;
      clearInterval(summary);
    },
  };
}
