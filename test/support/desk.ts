// A whole desk on loopback for end-to-end tests: the real app (embedded store
// unless given one), a WhatsApp Cloud API emulator, and helpers that keep each
// test to the story it tells.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { Logger } from 'pino';
import { createApp, type App } from '../../src/app.js';
import { testConfig } from '../../src/config.js';
import type { Store } from '../../src/store/port.js';
import type { Clock } from '../../src/workflow/deps.js';
import { CreateAgentDocument, SetAgentStatusDocument } from '../../src/generated/graphql.js';
import { startWhatsAppEmulator, type InboundInput, type StatusInput, type WhatsAppEmulator } from '../emulators/whatsappCloud.js';
import { gql, subscribe, type SubscriptionProbe } from './gqlClient.js';

export const ADMIN_TOKEN = 'admin-token-for-tests';

export interface DeskOptions {
  env?: Record<string, string | undefined>;
  store?: Store;
  clock?: Clock;
  emulator?: WhatsAppEmulator;
  /** Tests that read the desk's log lines pass their own. */
  logger?: Logger;
}

export interface Client {
  token: string;
  /** Runs an operation; throws when GraphQL answers with errors (use `try` to inspect them). */
  run<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables?: V): Promise<R>;
  /** Runs an operation and returns data and errors as they came. */
  try<R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V>,
    variables?: V,
  ): Promise<{ data: R | null | undefined; errors: Array<{ message: string; extensions?: Record<string, unknown> }> | undefined; status: number }>;
  /** Resolves once the server holds the subscription, so no event published afterwards is missed. */
  subscribe<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables?: V): Promise<SubscriptionProbe<R>>;
}

export interface Desk {
  app: App;
  url: string;
  webhookUrl: string;
  emulator: WhatsAppEmulator;
  admin: Client;
  as(token: string): Client;
  /** A signed inbound webhook, as Meta would post it; returns the wamids. */
  customerSays(text: string, options?: Partial<{ from: string; name: string; timestamp: Date | number; id: string }>): Promise<string[]>;
  sendInbound(input: InboundInput | InboundInput[]): Promise<string[]>;
  postStatus(status: StatusInput | StatusInput[], duplicate?: number): Promise<void>;
  /** createAgent through GraphQL, optionally set ONLINE with the agent's own token. */
  agent(name: string, options?: { capacity?: number; online?: boolean; role?: 'ADMIN' | 'AGENT' }): Promise<{ id: string; token: string; client: Client }>;
  /** Waits until the outbox is idle (sends, follow-ups, plugin deliveries). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

function clientFor(url: string, wsUrl: string, token: string, activeSubscriptions: () => number): Client {
  return {
    token,
    async run(document, variables) {
      const result = await gql(url, document, variables, token);
      if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
      return result.data as never;
    },
    try: (document, variables) => gql(url, document, variables, token) as never,
    async subscribe(document, variables) {
      const before = activeSubscriptions();
      const probe = subscribe(wsUrl, document, variables, token);
      await probe.connected;
      await eventually('the server to hold the subscription', () => activeSubscriptions() > before);
      return probe as never;
    },
  };
}

export async function startDesk(options: DeskOptions = {}): Promise<Desk> {
  const emulator = options.emulator ?? (await startWhatsAppEmulator());
  const config = testConfig({
    ADMIN_TOKEN,
    WHATSAPP_API_URL: emulator.url,
    WHATSAPP_PHONE_NUMBER_ID: emulator.phoneNumberId,
    WHATSAPP_ACCESS_TOKEN: emulator.accessToken,
    WHATSAPP_APP_SECRET: emulator.appSecret,
    WHATSAPP_VERIFY_TOKEN: 'verify-token-for-tests',
    WHATSAPP_RETRY_BASE: '10ms',
    WHATSAPP_RETRY_MAX: '40ms',
    HOST: '127.0.0.1',
    RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_IP_PER_MINUTE: '100000',
    ...options.env,
  });
  const app = await createApp({ config, store: options.store, clock: options.clock, logger: options.logger });
  const url = await app.listen();
  const gqlUrl = `${url}/graphql`;
  const wsUrl = gqlUrl.replace(/^http/, 'ws');
  const webhookUrl = `${url}/webhooks/whatsapp`;
  const as = (token: string) => clientFor(gqlUrl, wsUrl, token, () => app.http.activeSubscriptions());
  const admin = as(ADMIN_TOKEN);

  const sendInbound = async (input: InboundInput | InboundInput[]) => {
    const { ids, responses } = await emulator.postInbound(webhookUrl, input);
    for (const response of responses) if (response.status !== 200) throw new Error(`webhook answered ${response.status}: ${response.body}`);
    return ids;
  };

  return {
    app,
    url,
    webhookUrl,
    emulator,
    admin,
    as,
    sendInbound,
    customerSays: (text, o = {}) => sendInbound({ type: 'text', text, ...o }),
    async postStatus(status, duplicate = 1) {
      const responses = await emulator.postStatus(webhookUrl, status, { duplicate });
      for (const response of responses) if (response.status !== 200) throw new Error(`status webhook answered ${response.status}: ${response.body}`);
    },
    async agent(name, o = {}) {
      const email = `${name.toLowerCase().replace(/\W+/g, '.')}@example.test`;
      const created = await admin.run(CreateAgentDocument, { input: { name, email, capacity: o.capacity ?? 5, role: o.role ?? 'AGENT' } });
      const client = as(created.createAgent.token);
      if (o.online !== false) await client.run(SetAgentStatusDocument, { status: 'ONLINE' });
      return { id: created.createAgent.agent.id, token: created.createAgent.token, client };
    },
    settle: () => app.queue.drained(10_000),
    async close() {
      await app.close();
      if (!options.emulator) await emulator.close();
    },
  };
}

/** Polls until `check` returns a value (not undefined/false/null) or fails after timeoutMs with `what`. */
export async function eventually<T>(what: string, check: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}
