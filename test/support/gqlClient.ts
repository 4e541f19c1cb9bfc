// GraphQL clients for tests, speaking to a real server the way a helpdesk
// frontend does: HTTP POST with a bearer token, and graphql-ws over `ws`.
// Given a TypedDocumentNode (codegen's output), results are typed.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export type Document<TData, TVariables> = string | TypedDocumentNode<TData, TVariables>;

export interface GqlResponse<TData> {
  status: number;
  data: TData | null | undefined;
  errors: GraphQLFormattedError[] | undefined;
  headers: Headers;
}

/** A base URL ("http://127.0.0.1:4000") means its /graphql; a full endpoint URL is used as is. */
function endpoint(url: string, protocol?: 'ws'): string {
  const parsed = new URL(url);
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = '/graphql';
  if (protocol === 'ws') parsed.protocol = parsed.protocol === 'https:' ? 'wss:' : parsed.protocol === 'http:' ? 'ws:' : parsed.protocol;
  return parsed.toString();
}

function source<TData, TVariables>(document: Document<TData, TVariables>): string {
  return typeof document === 'string' ? document : print(document);
}

async function readAnswer<TData>(url: string, response: Response): Promise<GqlResponse<TData>> {
  const text = await response.text();
  let body: { data?: TData | null; errors?: GraphQLFormattedError[] } = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new Error(`non-JSON answer from ${url} (${response.status}): ${text.slice(0, 200)}`);
  }
  return { status: response.status, data: body.data, errors: body.errors, headers: response.headers };
}

export async function gql<TData = Record<string, any>, TVariables = Record<string, unknown>>(
  url: string,
  document: Document<TData, TVariables>,
  variables?: TVariables,
  token?: string | null,
): Promise<GqlResponse<TData>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(endpoint(url), {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: source(document), variables: variables ?? undefined }),
  });
  return readAnswer<TData>(url, response);
}

export interface SubscriptionResult<TData> {
  data?: TData | null;
  errors?: readonly GraphQLFormattedError[];
}

/** The socket's close, as the client saw it. */
export interface WsClose {
  code: number;
  reason: string;
}

export class SubscriptionEnded extends Error {
  constructor(
    message: string,
    /** Set when the subscription ended because the socket closed. */
    readonly close: WsClose | null,
    /** Set when the server answered the operation with errors. */
    readonly errors: readonly GraphQLFormattedError[] | null,
  ) {
    super(message);
    this.name = 'SubscriptionEnded';
  }
}

export interface SubscriptionProbe<TData> {
  /** The next event; rejects with SubscriptionEnded when the stream ended or failed, or after timeoutMs. */
  next(timeoutMs?: number): Promise<SubscriptionResult<TData>>;
  /** Resolves once the server acknowledged the connection (accepted the token). */
  connected: Promise<void>;
  /** Resolves with the close code and reason when the socket closes, whoever closed it. */
  closed: Promise<WsClose>;
  /** Completes the subscription and closes the socket. */
  close(): Promise<void>;
}

type Item<TData> = { kind: 'next'; value: SubscriptionResult<TData> } | { kind: 'end'; error: SubscriptionEnded };

function closeOf(event: unknown): WsClose | null {
  if (event && typeof event === 'object' && 'code' in event) {
    const { code, reason } = event as { code: number; reason?: unknown };
    return { code, reason: typeof reason === 'string' ? reason : String(reason ?? '') };
  }
  return null;
}

export function subscribe<TData = Record<string, any>, TVariables = Record<string, unknown>>(
  wsUrl: string,
  document: Document<TData, TVariables>,
  variables?: TVariables,
  token?: string | null,
): SubscriptionProbe<TData> {
  const queue: Item<TData>[] = [];
  const waiters: Array<(item: Item<TData>) => void> = [];
  const push = (item: Item<TData>) => {
    const waiter = waiters.shift();
    if (waiter) waiter(item);
    else queue.push(item);
  };

  let resolveConnected!: () => void;
  let rejectConnected!: (error: Error) => void;
  const connected = new Promise<void>((resolve, reject) => {
    resolveConnected = resolve;
    rejectConnected = reject;
  });
  let resolveClosed!: (close: WsClose) => void;
  const closed = new Promise<WsClose>((resolve) => {
    resolveClosed = resolve;
  });
  // Callers that only care about events need not handle a refused connection twice.
  connected.catch(() => {});

  const client: Client = createClient({
    url: endpoint(wsUrl, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    // Tests want to see the first close, not a reconnect.
    retryAttempts: 0,
    lazy: true,
    on: {
      connected: () => resolveConnected(),
      closed: (event) => {
        const close = closeOf(event) ?? { code: 0, reason: 'closed' };
        rejectConnected(new SubscriptionEnded(`socket closed (${close.code} ${close.reason})`, close, null));
        resolveClosed(close);
      },
    },
  });

  const unsubscribe = client.subscribe<TData>(
    { query: source(document), variables: (variables ?? undefined) as Record<string, unknown> | undefined },
    {
      next: (value) => push({ kind: 'next', value }),
      error: (error) => {
        const close = closeOf(error);
        if (close) push({ kind: 'end', error: new SubscriptionEnded(`socket closed (${close.code} ${close.reason})`, close, null) });
        else if (Array.isArray(error)) push({ kind: 'end', error: new SubscriptionEnded(`operation failed: ${error.map((e) => e.message).join('; ')}`, null, error) });
        else push({ kind: 'end', error: new SubscriptionEnded(`subscription failed: ${String((error as Error)?.message ?? error)}`, null, null) });
      },
      complete: () => push({ kind: 'end', error: new SubscriptionEnded('subscription completed', null, null) }),
    },
  );

  let ended: SubscriptionEnded | null = null;

  return {
    connected,
    closed,
    next(timeoutMs = 2_000) {
      if (ended) return Promise.reject(ended);
      const ready = queue.shift();
      const settle = (item: Item<TData>) => {
        if (item.kind === 'next') return item.value;
        ended = item.error;
        throw item.error;
      };
      if (ready) return Promise.resolve().then(() => settle(ready));
      return new Promise<SubscriptionResult<TData>>((resolve, reject) => {
        const waiter = (item: Item<TData>) => {
          clearTimeout(timer);
          try {
            resolve(settle(item));
          } catch (error) {
            reject(error);
          }
        };
        const timer = setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index >= 0) waiters.splice(index, 1);
          reject(new Error(`no subscription event within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    async close() {
      unsubscribe();
      await client.dispose();
    },
  };
}

export interface UploadFile {
  bytes: Uint8Array;
  type: string;
  name: string;
}

/**
 * A GraphQL multipart request (github.com/jaydenseric/graphql-multipart-request-spec):
 * `operations` with each file variable null, `map` naming where each file goes, then the files.
 */
export async function gqlUpload<TData = Record<string, any>, TVariables = Record<string, unknown>, F extends string = 'file'>(
  url: string,
  document: Document<TData, TVariables>,
  variables: Omit<TVariables, F>,
  files: Record<F, UploadFile>,
  token?: string | null,
): Promise<GqlResponse<TData>> {
  const form = new FormData();
  const withNulls = { ...(variables as Record<string, unknown>) };
  for (const name of Object.keys(files)) withNulls[name] = null;
  const parts = Object.values<UploadFile>(files);
  form.set('operations', JSON.stringify({ query: source(document), variables: withNulls }));
  form.set('map', JSON.stringify(Object.fromEntries(Object.keys(files).map((name, i) => [String(i), [`variables.${name}`]]))));
  parts.forEach((file, i) => form.set(String(i), new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name));
  const headers: Record<string, string> = { accept: 'application/graphql-response+json, application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(endpoint(url), { method: 'POST', headers, body: form });
  return readAnswer<TData>(url, response);
}
