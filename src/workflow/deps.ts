import type { Logger } from 'pino';
import type { Config, MediaConfig } from '../config.js';
import type { EventDispatcher } from '../events/dispatcher.js';
import type { MediaStore } from '../media/port.js';
import type { CloudApiClient } from '../whatsapp/cloudApi.js';
import type { JobQueue } from '../jobs/port.js';
import type { Store } from '../store/port.js';
import type { Repositories } from '../store/repositories/index.js';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** The Cloud API as the workflow uses it; src/whatsapp/cloudApi.ts implements it. */
export interface WhatsAppSender {
  sendText(to: string, body: string, options?: { replyTo?: string; previewUrl?: boolean }): Promise<{ whatsappId: string }>;
  sendList(
    to: string,
    body: string,
    buttonLabel: string,
    sections: Array<{ title?: string; rows: Array<{ id: string; title: string; description?: string }> }>,
    options?: { header?: string; footer?: string },
  ): Promise<{ whatsappId: string }>;
  sendTemplate(to: string, name: string, language: string, components?: unknown[]): Promise<{ whatsappId: string }>;
  markRead(whatsappId: string): Promise<void>;
  sendMedia: CloudApiClient['sendMedia'];
  retrieveMedia: CloudApiClient['retrieveMedia'];
  downloadMedia: CloudApiClient['downloadMedia'];
  uploadMedia: CloudApiClient['uploadMedia'];
  listTemplates: CloudApiClient['listTemplates'];
}

/** Counters the workflow feeds (Prometheus lives behind this). */
export interface WorkflowMeters {
  messageIn(): void;
  messageOut(): void;
  sendFailed(code: number | string): void;
}

export interface WorkflowDeps {
  repos: Repositories;
  config: Config['workflow'];
  whatsapp: Config['whatsapp'];
  /** Null when WHATSAPP_PHONE_NUMBER_ID / WHATSAPP_ACCESS_TOKEN are missing: sending is refused. */
  sender: WhatsAppSender | null;
  queue: JobQueue;
  /** Where media bytes are kept, and how media are fetched and served. */
  media: { store: MediaStore; config: MediaConfig };
  clock: Clock;
  logger: Logger;
  /**
   * One unit of work (a webhook's message) with one wait for the disk instead
   * of one per store call (Store.batch); what leaves the process from inside
   * it goes through Store.afterDurable (the composition root wraps the bus and
   * the job queue so).
   */
  batch: Store['batch'];
  /** Only src/workflow/transitions.ts raises events. */
  dispatch: EventDispatcher['dispatch'];
  meters: WorkflowMeters;
  /** This process, as the owner of the outbox leases it takes. */
  instanceId: string;
  outbox: OutboxSettings;
  /** A dependency (the job queue) failed an operation the store already covers: counted, logged sparingly. */
  dependencyFailed(name: string, error: unknown, context?: Record<string, unknown>): void;
}

export interface OutboxSettings {
  /** How long a send holds its lease; a send whose outcome is unknown is tried again after it (at-least-once for this window only). */
  leaseMs: number;
  /** How often the sweep looks for work whose wake was lost; 0 turns the periodic sweep off (start-up still sweeps). */
  sweepIntervalMs: number;
}
