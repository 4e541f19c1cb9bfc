// A client that vanished without closing (a laptop lid shut, a phone off the
// network, a proxy dropping state) leaves a socket that looks open for hours,
// and its subscriptions keep being served into the void. Each socket is
// pinged every interval; one that has not answered the previous ping by then
// is terminated. The pings also keep idle connections through proxies and
// load balancers that close quiet ones. Browsers answer pings on their own.
import type { WebSocket, WebSocketServer } from 'ws';

export const HEARTBEAT_INTERVAL_MS = 30_000;

/** Starts the heartbeat on every connection of `wss`; returns what stops it. */
export function startHeartbeat(wss: WebSocketServer, intervalMs = HEARTBEAT_INTERVAL_MS): () => void {
  const awaitingPong = new WeakSet<WebSocket>();
  const onConnection = (socket: WebSocket) => {
    socket.on('pong', () => awaitingPong.delete(socket));
  };
  wss.on('connection', onConnection);
  const timer = setInterval(() => {
    for (const socket of wss.clients) {
      if (awaitingPong.has(socket)) {
        socket.terminate();
        continue;
      }
      awaitingPong.add(socket);
      socket.ping();
    }
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    wss.off('connection', onConnection);
  };
}
