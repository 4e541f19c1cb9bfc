// The socket side of revocation: listens on the event bus (shared through
// Redis between instances) for `agent.revoked` and asks this instance's
// graphql-ws layer to re-check that agent's sockets. The workflow announces
// a revocation with `revokeSockets(deps, agentId)` after the change is stored.
import type { Logger } from 'pino';
import type { EventBus } from '../events/types.js';

export interface RevocationListener {
  close(): Promise<void>;
}

export function listenForRevocations(bus: EventBus, revoke: (agentId: string) => Promise<number>, logger: Logger): RevocationListener {
  // A plain listener, not a stream: every event reaches it, and a stream would queue each one for a single rare type.
  const pending = new Set<Promise<void>>();
  const stop = bus.listen((event) => {
    if (event.type !== 'agent.revoked') return;
    const closing = revoke(event.agentId)
      .then(() => undefined)
      .catch((error: unknown) => logger.error({ err: error, agentId: event.agentId }, 'could not close revoked sockets'))
      .finally(() => pending.delete(closing));
    pending.add(closing);
  });
  return {
    async close() {
      stop();
      await Promise.allSettled([...pending]);
    },
  };
}
