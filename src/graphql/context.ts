import type { AgentDoc, AgentRole } from '../domain/model.js';
import type { EventBus } from '../events/types.js';
import type { SignInThrottle } from '../http/rateLimit.js';
import type { JobQueue } from '../jobs/port.js';
import type { Repositories } from '../store/repositories/index.js';
import type { IntegrationStatus } from '../plugins/health.js';
import type { Workflow } from '../workflow/index.js';
import type { Loaders } from './loaders.js';

export type { IntegrationStatus };

/** What resolvers may reach: use cases and read models, chosen by the composition root. */
export interface DeskServices {
  workflow: Workflow;
  repos: Repositories;
  bus: EventBus;
  queue: JobQueue;
  /** Spends one from the viewer's metrics budget (RATE_LIMITED past it), then computes. */
  metrics(query: { from: Date; to: Date; agentId: string | null }, viewerId: string): Promise<unknown>;
  integrations(): Promise<IntegrationStatus[]>;
  retryIntegration(name: string): Promise<number>;
  /** A signed URL serving a message's file to this agent (src/media/signedUrl.ts). */
  mediaUrl(messageId: string, agentId: string): string;
  signInThrottle: SignInThrottle;
}

/** How the caller reached us: what signIn throttles by and what signOut ends. */
export interface RequestCredentials {
  /** The bearer token presented, or null when anonymous. */
  token: string | null;
  ip: string;
}

/** A request's context: who is asking. Shared subscription executions get a SharedContext instead (src/graphql/live.ts). */
export interface GraphQLContext {
  viewer: AgentDoc | null;
  /** The viewer's role: what a field shared between viewers of one role may depend on. */
  role: AgentRole | null;
  services: DeskServices;
  loaders: Loaders;
  credentials: RequestCredentials;
}
