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
  const events = bus.subscribe()[Symbol.asyncIterator]();
  const done = (async () => {
    for (;;) {
      const next = await events.next();
      if (next.done) return;
      const event = next.value;
      if (event.type !== 'agent.revoked') continue;
      await revoke(event.agentId).catch((error: unknown) => logger.error({ err: error, agentId: event.agentId }, 'could not close revoked sockets'));
    }
  })();
  done.catch((error: unknown) => logger.error({ err: error }, 'revocation listener stopped'));
  return {
    async close() {
      await events.return?.();
      await done.catch(() => undefined);
    },
  };
}
