// The composition root: the one place that picks implementations. Everything
// else receives what it needs from here.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { missingWhatsAppSettings, type Config } from './config.js';
import type { AgentDoc, AgentRole } from './domain/model.js';
import { createInProcessEventBus, createRedisEventBus } from './events/bus.js';
import { createEventDispatcher } from './events/dispatcher.js';
import { busListener } from './events/listeners/bus.js';
import { enqueueAfterDurable } from './jobs/afterDurable.js';
import { eventLogListener } from './events/listeners/eventLog.js';
import { pluginDeliveryListener } from './events/listeners/pluginDeliveries.js';
import type { EventBus } from './events/types.js';
import type { DeskServices, GraphQLContext } from './graphql/context.js';
import { sharedContext, type SharedContext } from './graphql/live.js';
import { createLoaders } from './graphql/loaders.js';
import { schema } from './graphql/schema/index.js';
import { createSubscriptionHub, type SubscriptionHub } from './graphql/subscriptionHub.js';
import { consoleIsBuilt, consoleRoutes, defaultConsoleRoot } from './http/console.js';
import { createSignInThrottle } from './http/rateLimit.js';
import { BODY_LIMIT, createHttpServer, type HttpServer } from './http/server.js';
import { createBudget } from './http/rateLimit.js';
import { DeskError } from './domain/errors.js';
import { listenForRevocations } from './http/revocations.js';
import { createBullmqQueue } from './jobs/bullmq.js';
import { createInProcessQueue } from './jobs/inProcess.js';
import type { JobQueue } from './jobs/port.js';
import { createDependencyMonitor } from './health/dependencyMonitor.js';
import { createDeskMetrics } from './metrics/prometheus.js';
import { computeSupportMetrics } from './metrics/supportMetrics.js';
import { builtInPlugins } from './plugins/builtIns.js';
import { checkSecretStrength, pluginSecrets } from './secretStrength.js';
import { createPluginHost, type PluginHost } from './plugins/host.js';
import { loadPlugins } from './plugins/loader.js';
import { pluginRoutes } from './plugins/routes.js';
import { newId } from './store/ids.js';
import type { Store } from './store/port.js';
import { createEmbeddedStore } from './store/embedded.js';
import { openDurableStore } from './store/embeddedDurable.js';
import { dataDirIdentity } from './store/dataDirIdentity.js';
import { watchEmbeddedPeers, type EmbeddedPeers } from './store/embeddedPeers.js';
import { createMongoStore, isMongoStore } from './store/mongo.js';
import { createFileMediaStore } from './media/fileStore.js';
import { createGridFsMediaStore } from './media/gridfsStore.js';
import { createMemoryMediaStore } from './media/memoryStore.js';
import type { MediaStore } from './media/port.js';
import { mediaRoutes } from './media/routes.js';
import { createMediaUrlSigner } from './media/signedUrl.js';
import { createRepositories, type Repositories } from './store/repositories/index.js';
import { createCloudApiClient } from './whatsapp/cloudApi.js';
import { whatsappWebhookRoutes } from './whatsapp/routes.js';
import { systemClock, type Clock } from './workflow/deps.js';
import { createWorkflow, type Workflow } from './workflow/index.js';
import { hashToken } from './workflow/tokens.js';

export interface AppOptions {
  config: Config;
  logger?: Logger;
  clock?: Clock;
  /** Tests run two instances over one embedded store; production picks from config. */
  store?: Store;
}

export interface App {
  config: Config;
  logger: Logger;
  store: Store;
  repos: Repositories;
  workflow: Workflow;
  bus: EventBus;
  queue: JobQueue;
  plugins: PluginHost;
  http: HttpServer;
  /** The fan-out behind graphql-ws subscriptions: one bus listener for all of them. */
  subscriptions: SubscriptionHub;
  /** The context the hub's shared executions run with: no viewer, no credentials, only the subscribers' role. */
  sharedSubscriptionContext(role: AgentRole): SharedContext;
  /** Set when ADMIN_TOKEN was not configured and one was generated for this run. */
  generatedAdminToken: string | null;
  /** Whether dist/web holds a console build to serve at `/`. */
  consoleBuilt: boolean;
  listen(): Promise<string>;
  close(): Promise<void>;
}

export async function createApp(options: AppOptions): Promise<App> {
  const { config } = options;
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'whatsapp-desk' } });
  const clock = options.clock ?? systemClock;
  const closers: Array<() => Promise<unknown>> = [];

  const store = options.store ?? (await openConfiguredStore(config, logger));
  if (!options.store) closers.push(() => store.close());
  if (store.kind === 'embedded' && config.redisUrl) {
    logger.warn('REDIS_URL is set but MONGODB_URI is not: each instance keeps its own embedded data, so run only one instance or set MONGODB_URI');
  }
  const repos = createRepositories(store);
  const instanceId = newId();
  const dependencies = createDependencyMonitor({ logger });

  let bus: EventBus;
  let queue: JobQueue;
  let redis: Redis | null = null;
  let peers: EmbeddedPeers | null = null;
  if (config.redisUrl) {
    bus = createRedisEventBus({ redisUrl: config.redisUrl, channelPrefix: `${config.redisKeyPrefix}:`, logger, dependencies });
    queue = createBullmqQueue({ redisUrl: config.redisUrl, prefix: `${config.redisKeyPrefix}-jobs`, logger, dependencies });
    redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: false, lazyConnect: false });
    dependencies.watchRedis('redis', redis, 'rate limiter');
    logger.info('events and outbox: Redis (pub/sub and BullMQ)');
    // An injected store is shared on purpose (tests run two instances over one).
    if (store.kind === 'embedded' && !options.store) {
      // Named by its data directory, so a restart after a crash replaces its predecessor's heartbeat instead of counting beside it.
      const peerId = config.dataDir ? dataDirIdentity(config.dataDir) : instanceId;
      peers = watchEmbeddedPeers({ redis, key: `${config.redisKeyPrefix}:embedded-instances`, instanceId: peerId, logger });
    }
  } else {
    bus = createInProcessEventBus();
    queue = createInProcessQueue({ logger });
    logger.info('events and outbox: in-process (set REDIS_URL to share them between instances)');
  }
  // A webhook's messages are one store batch (Store.batch): a job raised inside one starts once its data is on disk.
  queue = enqueueAfterDurable(queue, store.afterDurable);

  // Media live beside the records: GridFS with MongoDB, files under DATA_DIR, or memory with DATA_DIR=memory.
  const mediaStore: MediaStore = isMongoStore(store)
    ? createGridFsMediaStore(store.database())
    : config.dataDir
      ? await createFileMediaStore(config.dataDir)
      : createMemoryMediaStore();
  closers.push(() => mediaStore.close());
  logger.info({ media: mediaStore.kind }, 'media storage');
  if (!config.media.urlSecret && config.redisUrl) {
    logger.warn('MEDIA_URL_SECRET is not set: media URLs are signed with a key of this process, so another instance refuses them');
  }
  const mediaUrls = createMediaUrlSigner({
    secret: config.media.urlSecret ?? randomBytes(32),
    ttlMs: config.media.urlTtlMs,
    origin: config.media.publicUrl,
  });

  const subscriptions = createSubscriptionHub({ bus, logger: logger.child({ component: 'subscriptions' }) });
  const meters = createDeskMetrics({ store, queue, logger, liveSubscriptions: () => subscriptions.size() });

  const missing = missingWhatsAppSettings(config.whatsapp);
  if (missing.length) logger.warn(`WhatsApp sending is off until ${missing.join(' and ')} are set; inbound webhooks still work`);
  if (!config.whatsapp.appSecret) logger.warn('WHATSAPP_APP_SECRET is not set: webhook POSTs will be refused because their signatures cannot be verified');
  if (!config.whatsapp.verifyToken) logger.warn('WHATSAPP_VERIFY_TOKEN is not set: Meta cannot verify the webhook subscription');
  const sender = missing.length
    ? null
    : createCloudApiClient({
        apiUrl: config.whatsapp.apiUrl,
        phoneNumberId: config.whatsapp.phoneNumberId,
        accessToken: config.whatsapp.accessToken,
        timeoutMs: config.whatsapp.timeoutMs,
      });

  // Every state change's events reach these, in this order: the reporting
  // log first (a failure there fails the change), then live subscribers, then
  // plugin deliveries. The plugin host is late-bound: plugins need the
  // workflow's desk API, and the workflow raises events for plugins.
  let pluginHost: PluginHost | null = null;
  const events = createEventDispatcher([eventLogListener(repos.eventLog), busListener(bus, store.afterDurable), pluginDeliveryListener(() => pluginHost)]);
  const renamed = await repos.eventLog.renameLegacyTypes();
  if (renamed) logger.info({ renamed }, 'reporting log entries renamed to the event vocabulary');

  const workflow = createWorkflow({
    repos,
    config: config.workflow,
    whatsapp: config.whatsapp,
    sender,
    queue,
    media: { store: mediaStore, config: config.media },
    clock,
    logger,
    dispatch: events.dispatch,
    batch: store.batch,
    instanceId,
    outbox: config.outbox,
    dependencyFailed: (name, error, context) => dependencies.failed(name, error, context),
    meters: {
      messageIn: () => meters.messagesTotal.inc({ direction: 'inbound' }),
      messageOut: () => meters.messagesTotal.inc({ direction: 'outbound' }),
      sendFailed: (code) => meters.sendFailuresTotal.inc({ code: String(code) }),
    },
  });

  const loaded = await loadPlugins(config.plugins, builtInPlugins);
  const secretWarnings = [...config.secretWarnings, ...checkSecretStrength(pluginSecrets(loaded.map((l) => l.plugin), config.pluginEnv), config.isProduction)];
  for (const warning of secretWarnings) logger.warn(warning);
  pluginHost = await createPluginHost({
    plugins: loaded,
    env: config.pluginEnv,
    store,
    queue,
    desk: (name) => workflow.deskApiFor(name),
    logger,
    retry: config.pluginRetry,
  });
  const plugins = pluginHost;
  if (plugins.names.length) logger.info({ plugins: plugins.names }, 'plugins loaded');

  let generatedAdminToken: string | null = null;
  let adminToken = config.adminToken;
  if (!adminToken) {
    adminToken = `wsd_admin_${randomBytes(24).toString('base64url')}`;
    generatedAdminToken = adminToken;
  }
  await repos.agents.upsertBootstrapAdmin(hashToken(adminToken), clock.now());

  const metricsBudget = createBudget({
    perMinute: config.graphql.metricsQueriesPerMinute,
    redis,
    keyPrefix: `${config.redisKeyPrefix}:ratelimit:metrics`,
    logger,
  });
  const services: DeskServices = {
    workflow,
    repos,
    bus,
    queue,
    async metrics(query, viewerId) {
      const verdict = await metricsBudget.consume(viewerId);
      if (!verdict.allowed) {
        throw new DeskError('RATE_LIMITED', `Too many metrics queries; retry in ${verdict.retryAfterSeconds} s`, { retryAfter: verdict.retryAfterSeconds });
      }
      return computeSupportMetrics(store, query, { timeZone: config.workflow.businessHours.timeZone, businessHours: config.workflow.businessHours });
    },
    integrations: () => plugins.integrations(),
    retryIntegration: (name) => plugins.retryDeadLetters(name),
    signInThrottle: createSignInThrottle({
      attemptsPerEmail: config.auth.attemptsPerEmail,
      attemptsPerIp: config.auth.attemptsPerIp,
      windowMs: config.auth.attemptWindowMs,
      redis,
      keyPrefix: `${config.redisKeyPrefix}:ratelimit`,
      logger,
    }),
    mediaUrl: (messageId, agentId) => mediaUrls.urlFor(messageId, agentId, clock.now()),
  };  // No viewer, no credentials: what one subscriber's execution shows every subscriber of its role.
  const sharedSubscriptionContext = (role: AgentRole): SharedContext => sharedContext({ role, services, loaders: createLoaders(repos, { cache: false }) });


  const consoleRoot = defaultConsoleRoot();
  const http = await createHttpServer({
    logger,
    config,
    schema,
    subscriptions: {
      hub: subscriptions,
      contextFor: sharedSubscriptionContext,
    },
    authenticate: async (token: string | null): Promise<AgentDoc | null> => (token ? workflow.authenticate(token) : null),
    createContext: (viewer: AgentDoc | null, transport, credentials): GraphQLContext => ({
      viewer,
      role: viewer?.role ?? null,
      services,
      credentials,
      loaders: createLoaders(repos, { cache: transport === 'http' }),
    }),
    async ready() {
      await store.ping();
      const down = dependencies.down();
      if (down.length > 0) throw new Error(`${down.join(', ')} unreachable`);
    },
    metricsRegistry: meters.register,
    httpRequestDuration: meters.httpRequestDuration,
    redis,
    rateLimitKeyPrefix: `${config.redisKeyPrefix}:ratelimit`,
    routes: [
      (app) => {
        void app.register(
          whatsappWebhookRoutes({
            appSecret: config.whatsapp.appSecret,
            verifyToken: config.whatsapp.verifyToken,
            workflow,
            logger,
            bodyLimit: BODY_LIMIT,
            phoneNumberId: config.whatsapp.phoneNumberId,
            webhookLatency: meters.webhookLatency,
            foreignItems: meters.foreignWebhookItemsTotal,
          }),
        );
      },
      (app) => {
        void app.register(pluginRoutes, { host: plugins, bodyLimit: BODY_LIMIT });
      },
      (app) => {
        void app.register(consoleRoutes({ root: consoleRoot, logger }));
      },
      (app) => {
        void app.register(mediaRoutes, { signer: mediaUrls, mediaFor: (agentId, messageId) => workflow.mediaFor(agentId, messageId) });
      },
    ],
  });

  // Revocations reach every instance over the bus (Redis when shared): each
  // closes the sockets it holds for that agent whose credentials no longer work.
  const revocations = listenForRevocations(bus, (agentId) => http.revokeSockets(agentId), logger);

  // What a previous run left behind (sends, greetings, assignments) is picked up now, then swept periodically.
  await workflow.startSweeping().catch((error: unknown) => logger.error({ err: error }, 'start-up outbox sweep failed'));

  // The template catalog: now, then every TEMPLATE_SYNC_INTERVAL.
  let templateTimer: NodeJS.Timeout | null = null;
  if (config.whatsapp.businessAccountId && sender) {
    const sync = (reason: string) => workflow.scheduleTemplateSync(reason).catch((error: unknown) => logger.error({ err: error }, 'template sync not queued'));
    await sync(`start-${newId()}`);
    templateTimer = setInterval(() => void sync('interval'), config.whatsapp.templateSyncIntervalMs);
    templateTimer.unref();
  } else if (config.whatsapp.businessAccountId) {
    logger.warn('WHATSAPP_BUSINESS_ACCOUNT_ID is set but sending is not configured: the template catalog is not synced');
  }

  let closing: Promise<void> | null = null;
  return {
    config,
    logger,
    store,
    repos,
    workflow,
    bus,
    queue,
    plugins,
    http,
    subscriptions,
    sharedSubscriptionContext,
    generatedAdminToken,
    consoleBuilt: consoleIsBuilt(consoleRoot),
    listen: () => http.listen(),
    close() {
      closing ??= (async () => {
        workflow.stopSweeping();
        // Clients quitting from here on are a shutdown, not an outage.
        dependencies.close();
        await revocations.close();
        if (templateTimer) clearInterval(templateTimer);
        await http.close();
        await queue.close();
        await plugins.close();
        await bus.close();
        await peers?.close();
        if (redis) await redis.quit().catch(() => undefined);
        for (const close of closers.reverse()) await close();
      })();
      return closing;
    },
  };
}

/** MongoDB when MONGODB_URI is set; otherwise the embedded engine, on disk in DATA_DIR or in memory. */
async function openConfiguredStore(config: Config, logger: Logger): Promise<Store> {
  if (config.mongodbUri) {
    const store = await createMongoStore(config.mongodbUri, { logger });
    logger.info('storage: MongoDB');
    return store;
  }
  if (!config.dataDir) {
    logger.warn('storage: embedded, in memory (DATA_DIR=memory): data is lost when the process stops');
    return createEmbeddedStore();
  }
  const store = await openDurableStore({ dataDir: config.dataDir });
  const { documents, collections, ms } = store.loaded;
  logger.info(
    { dataDir: store.dataDir, documents, collections, loadMs: ms },
    `storage: embedded, on disk in ${store.dataDir} (${documents} documents loaded in ${ms} ms); one process per data directory, set MONGODB_URI to run several instances`,
  );
  return store;
}
