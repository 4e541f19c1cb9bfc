// An outage is one line when it starts, one when it ends, and a summary in
// between: never a line per reconnection attempt or per failed operation.
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createDependencyMonitor } from '../src/health/dependencyMonitor.js';

function recordingLogger() {
  const lines: Array<{ level: string; msg: string; obj: object }> = [];
  const at = (level: string) => (obj: object, msg = '') => void lines.push({ level, msg, obj });
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error') } };
}

/** Enough of an ioredis client for the monitor: a status and connection events. */
function fakeRedis(status: string): Redis & EventEmitter {
  return Object.assign(new EventEmitter(), { status }) as unknown as Redis & EventEmitter;
}

describe('dependency monitor', () => {
  it('logs one line per state change however many errors arrive, and tells /readyz what is down', () => {
    let clock = 0;
    const { lines, logger } = recordingLogger();
    const monitor = createDependencyMonitor({ logger, now: () => clock, summaryIntervalMs: 60_000 });
    const a = fakeRedis('ready');
    const b = fakeRedis('ready');
    monitor.watchRedis('redis', a, 'job queue');
    monitor.watchRedis('redis', b, 'event bus');
    expect(monitor.down()).toEqual([]);

    for (let i = 0; i < 300; i++) {
      a.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:6390'));
      b.emit('close');
      monitor.failed('redis', new Error('Stream not writeable'));
    }
    expect(monitor.down()).toEqual(['redis']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', msg: expect.stringContaining('redis unreachable') });

    clock = 42_000;
    a.emit('ready');
    expect(monitor.down()).toEqual(['redis']); // the bus connection is still away
    b.emit('ready');
    expect(monitor.down()).toEqual([]);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 'info', msg: 'redis reachable', obj: { downForMs: 42_000, failuresWhileDown: 900 } });
    monitor.close();
  });

  it('a dependency never reached since start-up is logged once, on its first error, not per retry', () => {
    const { lines, logger } = recordingLogger();
    const monitor = createDependencyMonitor({ logger });
    const client = fakeRedis('connecting');
    monitor.watchRedis('redis', client, 'job queue');
    expect(monitor.down()).toEqual(['redis']);
    expect(lines).toEqual([]);
    for (let i = 0; i < 100; i++) client.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:6390'));
    expect(lines).toEqual([{ level: 'error', msg: expect.stringContaining('redis unreachable'), obj: { dependency: 'redis', reason: 'job queue: connect ECONNREFUSED 127.0.0.1:6390' } }]);
    client.emit('ready');
    expect(lines.map((l) => l.msg)).toEqual([expect.stringContaining('redis unreachable'), 'redis reachable']);
    // A later outage is a new one, logged again.
    client.emit('close');
    expect(lines).toHaveLength(3);
    monitor.close();
  });

  it('summarises a long outage periodically, with the count of failures since the last summary', async () => {
    const { lines, logger } = recordingLogger();
    const monitor = createDependencyMonitor({ logger, summaryIntervalMs: 30 });
    const client = fakeRedis('ready');
    monitor.watchRedis('redis', client, 'rate limiter');
    client.emit('error', new Error('ECONNREFUSED'));
    for (let i = 0; i < 5; i++) monitor.failed('redis', new Error('ECONNREFUSED'));
    await new Promise((resolve) => setTimeout(resolve, 80));
    monitor.close();
    const summaries = lines.filter((l) => l.msg === 'redis still unreachable');
    expect(summaries.length).toBeGreaterThanOrEqual(1);
    expect(summaries[0]?.obj).toMatchObject({ failuresSinceLastSummary: 6 });
  });

  it('while a dependency looks healthy, failed operations are logged at most once per interval', () => {
    let clock = 0;
    const { lines, logger } = recordingLogger();
    const monitor = createDependencyMonitor({ logger, now: () => clock, failureLogIntervalMs: 10_000 });
    for (let i = 0; i < 50; i++) monitor.failed('job queue', new Error('closed'));
    clock = 10_000;
    monitor.failed('job queue', new Error('closed'));
    expect(lines.map((l) => l.msg)).toEqual(['job queue operation failed', 'job queue operation failed']);
    monitor.close();
  });

  it('clients quitting at shutdown are not reported as an outage', () => {
    const { lines, logger } = recordingLogger();
    const monitor = createDependencyMonitor({ logger });
    const client = fakeRedis('ready');
    monitor.watchRedis('redis', client, 'job queue');
    monitor.close();
    client.emit('close');
    expect(lines).toEqual([]);
  });
});
