import type { AgentDoc } from '../domain/model.js';
import type { EventBus } from '../events/types.js';
import type { SignInThrottle } from '../http/rateLimit.js';
import type { JobQueue } from '../jobs/port.js';
import type { Repositories } from '../store/repositories/index.js';
import type { Workflow } from '../workflow/index.js';
import type { Loaders } from './loaders.js';

export interface IntegrationStatus {
  name: string;
  status: 'OK' | 'DEGRADED' | 'FAILING';
  lastError: string | null;
  lastErrorAt: Date | null;
  lastDeliveredAt: Date | null;
  pending: number;
  deadLetters: number;
}

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

export interface GraphQLContext {
  viewer: AgentDoc | null;
  services: DeskServices;
  loaders: Loaders;
  credentials: RequestCredentials;
}
