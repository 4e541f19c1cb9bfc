// The desk under load, alone in its own process: bench/subscriptions.ts forks
// this file so that memory and CPU are the server's own, not the load
// generator's. Configuration comes from the environment (the parent passes a
// fixed ADMIN_TOKEN, the emulator's WhatsApp settings, LOG_LEVEL=warn), the
// store is the embedded one and the bus in-process, as on a single instance.
//
// Talks to its parent over the fork IPC channel: it sends {ready, url} once
// listening (and prints `BENCH_SERVER_URL <url>` on stdout for humans), then
// answers {id, cmd} requests with {id, result} or {id, error}:
//   stats          memory, CPU, event-loop utilization, open subscriptions,
//                  bus listeners, domain events published so far (publish is
//                  wrapped to count them and stamp message.received)
//   gc             a full collection (needs --expose-gc) before a memory reading
//   profileStart / profileStop   the V8 CPU profiler (node:inspector), stop
//                  writes the .cpuprofile and answers with its path
//   floorStart / floorBroadcast / floorStop   the transport floor: a bare
//                  `ws` server on another loopback port that sends one
//                  pre-serialized frame to every socket (no GraphQL, no bus),
//                  to tell the machine's cost of N socket writes from ours
//   close          app.close(), then exit
// It exits on its own when the parent goes away (IPC disconnect) or after
// BENCH_SERVER_MAX_LIFETIME ms, so a crashed bench never leaves it behind.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { DomainEvent } from '../../src/events/types.js';

export interface ServerStats {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** process.cpuUsage(), microseconds since start. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
  /** performance.eventLoopUtilization() raw counters, to diff between two readings. */
  elu: { idle: number; active: number; utilization: number };
  activeSubscriptions: number;
  /** Subscriptions the fan-out serves (src/graphql/subscriptionHub.ts). */
  hubSubscribers: number;
  /** Listeners on the in-process bus: the fan-out's one while it serves anyone. */
  busListeners: number | null;
  /** Domain events published since start, by type. */
  eventsByType: Record<string, number>;
  /** Epoch milliseconds (timeOrigin + now) at which each inbound message's `message.received` was published, by WhatsApp id. */
  receivedAt: Record<string, number>;
}

export type ServerRequest = {
  id: number;
  cmd: 'stats' | 'gc' | 'profileStart' | 'profileStop' | 'floorStart' | 'floorBroadcast' | 'floorStop' | 'close';
  path?: string;
  /** floorBroadcast: the exact frames every floor socket gets, in order (all sockets get the first, then the next…). */
  frames?: string[];
};

/** floorBroadcast's answer: when the send loop started (epoch ms, as receivedAt) and how long it ran. */
export interface FloorBroadcast {
  startedAt: number;
  loopMs: number;
  sockets: number;
}
export type ServerReply = { id: number; result?: unknown; error?: string } | { ready: true; url: string } | { fatal: string };

const send = (message: ServerReply) => {
  if (process.send && process.connected) process.send(message);
};

async function main() {
  if (!process.send) throw new Error('bench/support/server.ts is meant to be forked by bench/subscriptions.ts (it answers over IPC)');
  const config = loadConfig(process.env);
  const app: App = await createApp({ config });
  const url = await app.listen();

  // The bus's publish, wrapped: counts what each webhook fans out and stamps
  // when message.received was handed to the subscribers, to split
  // webhook→delivery into webhook→publish and publish→delivery. A listener of
  // our own would see the event only after its turn in the microtask queue,
  // behind thousands of subscribers, and would be one more subscriber.
  const eventsByType: Record<string, number> = {};
  const receivedAt: Record<string, number> = {};
  const publish = app.bus.publish.bind(app.bus);
  app.bus.publish = (event: DomainEvent) => {
    eventsByType[event.type] = (eventsByType[event.type] ?? 0) + 1;
    if (event.type === 'message.received' && event.message.whatsappId) receivedAt[event.message.whatsappId] = performance.timeOrigin + performance.now();
    publish(event);
  };

  const busListeners = () => {
    const bus = app.bus as unknown as { subscriberCount?: () => number };
    return typeof bus.subscriberCount === 'function' ? bus.subscriberCount() : null;
  };

  let profiler: Session | null = null;
  let floor: WebSocketServer | null = null;
  let closing: Promise<void> | null = null;
  const shutdown = (code: number) => {
    closing ??= (async () => {
      await Promise.race([app.close(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
      if (process.connected) process.disconnect();
      process.exit(code);
    })();
    return closing;
  };

  process.on('message', async (raw: unknown) => {
    const request = raw as ServerRequest;
    try {
      switch (request.cmd) {
        case 'stats': {
          const memory = process.memoryUsage();
          const cpu = process.cpuUsage();
          const elu = performance.eventLoopUtilization();
          const stats: ServerStats = {
            rss: memory.rss,
            heapUsed: memory.heapUsed,
            heapTotal: memory.heapTotal,
            external: memory.external,
            arrayBuffers: memory.arrayBuffers,
            cpuUserMicros: cpu.user,
            cpuSystemMicros: cpu.system,
            elu: { idle: elu.idle, active: elu.active, utilization: elu.utilization },
            activeSubscriptions: app.http.activeSubscriptions(),
            hubSubscribers: app.subscriptions.size(),
            busListeners: busListeners(),
            eventsByType: { ...eventsByType },
            receivedAt: { ...receivedAt },
          };
          return send({ id: request.id, result: stats });
        }
        case 'gc': {
          const gc = (globalThis as { gc?: () => void }).gc;
          if (!gc) throw new Error('gc is not exposed: fork with --expose-gc');
          // Twice: the first pass queues finalizers (WeakMap entries, closed sockets) that the second frees.
          gc();
          await new Promise((resolve) => setImmediate(resolve));
          gc();
          return send({ id: request.id, result: true });
        }
        case 'profileStart': {
          profiler = new Session();
          profiler.connect();
          await profiler.post('Profiler.enable');
          await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
          await profiler.post('Profiler.start');
          return send({ id: request.id, result: true });
        }
        case 'profileStop': {
          if (!profiler) throw new Error('profiler not started');
          const { profile } = await profiler.post('Profiler.stop');
          profiler.disconnect();
          profiler = null;
          const path = request.path ?? `server-${process.pid}.cpuprofile`;
          await writeFile(path, JSON.stringify(profile));
          return send({ id: request.id, result: path });
        }
        case 'floorStart': {
          floor = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
          await new Promise<void>((resolve, reject) => floor!.once('listening', resolve).once('error', reject));
          const address = floor.address();
          return send({ id: request.id, result: address && typeof address === 'object' ? address.port : null });
        }
        case 'floorBroadcast': {
          if (!floor || !request.frames) throw new Error('floorBroadcast needs floorStart and frames');
          const startedAt = performance.timeOrigin + performance.now();
          const began = performance.now();
          for (const frame of request.frames) for (const socket of floor.clients) socket.send(frame);
          const result: FloorBroadcast = { startedAt, loopMs: performance.now() - began, sockets: floor.clients.size };
          return send({ id: request.id, result });
        }
        case 'floorStop': {
          for (const socket of floor?.clients ?? []) socket.terminate();
          await new Promise<void>((resolve) => (floor ? floor.close(() => resolve()) : resolve()));
          floor = null;
          return send({ id: request.id, result: true });
        }
        case 'close':
          send({ id: request.id, result: true });
          return void shutdown(0);
      }
    } catch (error) {
      send({ id: request.id, error: error instanceof Error ? error.message : String(error) });
    }
  });
  // The parent died or let go: nobody will ask us to close.
  process.on('disconnect', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));
  const lifetime = Number(process.env['BENCH_SERVER_MAX_LIFETIME'] ?? 15 * 60_000);
  setTimeout(() => {
    console.error(`bench server: ${lifetime} ms lifetime reached, exiting`);
    void shutdown(1);
  }, lifetime).unref();

  console.log(`BENCH_SERVER_URL ${url}`);
  send({ ready: true, url });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(`bench server failed to start: ${message}`);
  send({ fatal: message });
  process.exit(1);
});
