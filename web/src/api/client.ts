// One urql client per session: queries and mutations over HTTP with the
// bearer token, subscriptions over graphql-ws with the same token in
// connection_init. The socket reconnects by itself (forever, with graphql-ws's
// randomised backoff); every reconnect is reported so screens refetch what
// they show, since events sent while the socket was down are gone.
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from 'urql';
import { graphql } from '../gql';
import { errorCode } from './errors';

/** Whether a token is (still) good: signing in with a token, and after the socket is refused. */
export const CheckToken = graphql(`
  query CheckToken {
    viewer {
      id
    }
  }
`);

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';

export interface DeskClientOptions {
  token: string;
  onConnection(state: ConnectionState, wasRetry: boolean): void;
  /** The token was refused (expired, revoked, agent deactivated). */
  onUnauthenticated(): void;
  /** The socket was refused; the HTTP side tells whether the session is over. */
  onSocketRefused(): void;
}

export interface DeskClient {
  client: Client;
  dispose(): void;
}

function socketUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
}

export function createDeskClient(options: DeskClientOptions): DeskClient {
  let everConnected = false;
  const ws: WsClient = createWsClient({
    url: socketUrl(),
    connectionParams: { authorization: `Bearer ${options.token}` },
    lazy: false,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    on: {
      connecting: () => options.onConnection(everConnected ? 'reconnecting' : 'connecting', everConnected),
      connected: (_socket, _payload, wasRetry) => {
        options.onConnection('connected', wasRetry || everConnected);
        everConnected = true;
      },
      closed: (event) => {
        if (everConnected) options.onConnection('reconnecting', true);
        // 4403: the server refused connection_init (bad token, or a connection cap).
        if ((event as CloseEvent | undefined)?.code === 4403) options.onSocketRefused();
      },
    },
  });

  const client = new Client({
    url: '/graphql',
    exchanges: [
      mapExchange({
        onError(error) {
          if (errorCode(error) === 'UNAUTHENTICATED' || (error.response as Response | undefined)?.status === 401) options.onUnauthenticated();
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
    fetchOptions: () => ({ headers: { authorization: `Bearer ${options.token}` } }),
    requestPolicy: 'cache-and-network',
  });

  return { client, dispose: () => void ws.dispose() };
}

/** A client without a session, for signing in. */
export function createAnonymousClient(): Client {
  return new Client({ url: '/graphql', exchanges: [fetchExchange], requestPolicy: 'network-only' });
}
