// The plugin outbox: each domain event a plugin wants is recorded as a
// delivery (plugin_deliveries, through its repository) and drained by the job
// queue — durably, in order per conversation, one queue per plugin. A sweep
// picks up deliveries no job is coming back for (after a crash or restart).
import { randomUUID } from 'node:crypto';
import { eventConversationId } from '../events/types.js';
import { backoffDelay, RetryableError, type BackoffPolicy, type JobContext, type JobQueue } from '../jobs/port.js';
import { newId } from '../store/ids.js';
import { toDate, type PluginDeliveryDoc, type PluginDeliveryRepository } from '../store/repositories/pluginDeliveries.js';
import type { DomainEvent, PluginHandlers, PluginLogger } from './contract.js';

export interface RetryPolicy extends BackoffPolicy {
  /** Tries of one delivery, the first included, before it becomes a dead letter. */
  attempts: number;
}

/** Deliveries of events about no conversation (agent.status) share one ordering key. */
const GLOBAL_KEY = 'global';
/**
 * A drain job carries several deliveries one after another, so a delivery's
 * tries are counted on its own record, not by the job: the job itself is
 * retried for as long as it has something to retry.
 */
const DRAIN_JOB_ATTEMPTS = 1_000_000;
/** Longer error texts are cut: they are shown on the integrations screen and kept on every record. */
const MAX_ERROR_LENGTH = 1_000;

/** A plugin as the outbox sees it. */
export interface DeliveryTarget {
  name: string;
  handlers: PluginHandlers;
  logger: PluginLogger;
}

export interface PluginDeliveriesOptions {
  targets: readonly DeliveryTarget[];
  repository: PluginDeliveryRepository;
  queue: JobQueue;
  retry: RetryPolicy;
  /** How long a drain holds a delivery; must exceed the slowest onEvent. */
  leaseMs: number;
  /** Conversations drained at once per plugin on one instance. */
  concurrency: number;
  /** Delivered records are kept this long, then pruned by the sweep. */
  retentionMs: number;
  logger: PluginLogger;
}

export interface PluginDeliveries {
  /** Records one delivery per interested plugin and enqueues it. Never throws: a failure is logged. */
  publish(event: DomainEvent): Promise<void>;
  /** Enqueues drains for conversations whose oldest pending delivery is due and free, and prunes old records. */
  sweep(): Promise<void>;
  /** Sets the plugin's dead letters back to pending with fresh attempts; returns how many. */
  retryDeadLetters(plugin: DeliveryTarget): Promise<number>;
  /** Drains in progress stop after their current delivery. */
  stop(): void;
}

export function queueNameFor(plugin: string): string {
  return `plugin-${plugin}`;
}

interface DrainJob {
  plugin: string;
  orderingKey: string;
}

export function createPluginDeliveries(options: PluginDeliveriesOptions): PluginDeliveries {
  const { repository, queue, retry, leaseMs } = options;
  let stopped = false;

  for (const target of options.targets) {
    if (!target.handlers.onEvent) continue;
    queue.register<DrainJob>(
      queueNameFor(target.name),
      (job, ctx) => drain(target, job.orderingKey, ctx),
      { attempts: DRAIN_JOB_ATTEMPTS, backoff: { baseMs: retry.baseMs, maxMs: retry.maxMs }, concurrency: options.concurrency },
      async (job, error) => {
        // Only an infrastructure failure gets here (delivery failures are
        // counted on the delivery). The deliveries stay pending; the sweep
        // picks them up again.
        target.logger.error({ err: error, orderingKey: job.orderingKey }, 'plugin drain job gave up');
      },
    );
  }

  function wants(target: DeliveryTarget, event: DomainEvent): boolean {
    const { onEvent, events } = target.handlers;
    if (!onEvent) return false;
    if (events && !events.includes(event.type)) return false;
    // Echo guard: a message that came from this plugin (a CRM agent's reply)
    // is not sent back to it, or the CRM would see its own comment twice.
    if ('message' in event && event.message.origin === target.name) return false;
    return true;
  }

  async function enqueueDrain(target: DeliveryTarget, orderingKey: string, reason: string): Promise<void> {
    // One job per reason (not one per conversation): a job id shared by all
    // drains of a conversation would be dropped while that drain is active,
    // stranding a delivery recorded just after the drain's last look.
    const jobId = safeJobId(`${target.name}.${orderingKey}.${reason}`);
    await queue.enqueue<DrainJob>(queueNameFor(target.name), { plugin: target.name, orderingKey }, { jobId });
  }

  async function record(target: DeliveryTarget, event: DomainEvent, orderingKey: string): Promise<void> {
    const now = new Date();
    const seq = newId(now.getTime());
    const doc: PluginDeliveryDoc = {
      _id: `${target.name}.${event.id}`,
      plugin: target.name,
      orderingKey,
      seq,
      eventId: event.id,
      eventType: event.type,
      event,
      state: 'pending',
      attempts: 0,
      lastError: null,
      lastErrorAt: null,
      nextAttemptAt: now,
      leaseUntil: null,
      leaseToken: null,
      retryOwner: null,
      createdAt: now,
      deliveredAt: null,
      deadAt: null,
    };
    if (!(await repository.record(doc))) {
      target.logger.debug({ eventId: event.id }, 'event already recorded for this plugin');
      return;
    }
    try {
      await enqueueDrain(target, orderingKey, seq);
    } catch (error) {
      // Recorded durably: the sweep enqueues it later.
      target.logger.warn({ err: error, eventId: event.id }, 'could not enqueue plugin delivery; the sweep will retry');
    }
  }

  /**
   * Delivers the plugin's pending deliveries for one conversation, oldest
   * first, until none is left or the oldest must wait. A dead letter does not
   * hold the conversation: once a delivery is given up, the next one goes.
   */
  async function drain(target: DeliveryTarget, orderingKey: string, ctx: JobContext): Promise<void> {
    const onEvent = target.handlers.onEvent;
    if (!onEvent) return;
    while (!stopped) {
      const head = await repository.oldestPending(target.name, orderingKey);
      if (!head) return;
      const nowMs = Date.now();
      // Another drain holds it and carries on after it.
      if (head.leaseUntil && toDate(head.leaseUntil).getTime() > nowMs) return;
      const dueInMs = toDate(head.nextAttemptAt).getTime() - nowMs;
      if (dueInMs > 0) {
        // In backoff. The job that scheduled the retry comes back for it (a
        // timer may fire a moment early: wait out the rest); any other drain
        // leaves it to that job instead of adding pollers.
        if (head.retryOwner === ctx.jobId) throw new RetryableError('delivery not due yet', dueInMs);
        return;
      }

      const token = randomUUID();
      // The lease is the precondition: of two drains (on two instances) only
      // one gets it, so a delivery is never handed to the plugin twice at once.
      const leased = await repository.lease(head._id, new Date(nowMs), new Date(nowMs + leaseMs), token);
      if (!leased) continue;

      let failure: unknown = null;
      try {
        await onEvent(leased.event);
      } catch (error) {
        failure = error ?? new Error('onEvent rejected without a reason');
      }
      const finishedAt = new Date();

      if (failure === null) {
        if (!(await repository.markDelivered(leased._id, token, finishedAt))) {
          target.logger.warn({ deliveryId: leased._id, leaseMs }, 'delivered after its lease expired; another drain may deliver it again (raise leaseMs)');
        }
        continue;
      }

      const message = errorMessage(failure);
      const log = { deliveryId: leased._id, eventId: leased.eventId, eventType: leased.eventType, attempt: leased.attempts, error: message };
      if (isPermanent(failure) || leased.attempts >= retry.attempts) {
        await repository.markDead(leased._id, token, message, finishedAt);
        target.logger.error(log, 'plugin delivery failed for good: dead letter (retry it from integrations); later events go on');
        continue;
      }

      const delay = retryAfterOf(failure) ?? backoffDelay(retry, leased.attempts);
      await repository.scheduleRetry(leased._id, token, { error: message, at: finishedAt, nextAttemptAt: new Date(finishedAt.getTime() + delay), owner: ctx.jobId });
      target.logger.warn({ ...log, retryInMs: delay }, 'plugin delivery failed; retrying later');
      throw new RetryableError(`${target.name}: ${message}`, delay);
    }
  }

  /** The tail of each conversation's chain of recordings in progress. */
  const recording = new Map<string, Promise<void>>();

  return {
    async publish(event) {
      try {
        const orderingKey = eventConversationId(event) ?? GLOBAL_KEY;
        const targets = options.targets.filter((t) => wants(t, event));
        if (targets.length === 0) return;
        // Events of one conversation are recorded one after the other, in
        // publish order (the workflow does not await publish): a later event
        // stored first could be drained before the earlier one exists.
        const previous = recording.get(orderingKey) ?? Promise.resolve();
        const current = previous.then(async () => {
          await Promise.all(
            targets.map((t) =>
              record(t, event, orderingKey).catch((error: unknown) => {
                t.logger.error({ err: error, eventId: event.id, eventType: event.type }, 'could not record the event for this plugin; it will not be delivered');
              }),
            ),
          );
        });
        recording.set(orderingKey, current);
        try {
          await current;
        } finally {
          if (recording.get(orderingKey) === current) recording.delete(orderingKey);
        }
      } catch (error) {
        options.logger.error({ err: error }, 'plugin publish failed');
      }
    },

    async sweep() {
      const now = new Date();
      for (const target of options.targets) {
        if (!target.handlers.onEvent || stopped) continue;
        for (const head of await repository.pendingHeads(target.name)) {
          if (head.nextAttemptAt.getTime() > now.getTime()) continue;
          if (head.leaseUntil && head.leaseUntil.getTime() > now.getTime()) continue;
          await enqueueDrain(target, head.orderingKey, `sweep-${newId()}`);
        }
        await repository.pruneDelivered(target.name, new Date(now.getTime() - options.retentionMs));
      }
    },

    async retryDeadLetters(target) {
      const { count, orderingKeys } = await repository.revive(target.name, new Date());
      for (const orderingKey of orderingKeys) await enqueueDrain(target, orderingKey, `revive-${newId()}`);
      if (count > 0) target.logger.info({ count }, 'dead letters set to retry');
      return count;
    },

    stop() {
      stopped = true;
    },
  };
}

/** By name as well as class: a third-party plugin may carry its own copy of the contract module. */
function isPermanent(error: unknown): boolean {
  return error instanceof Error && error.name === 'PermanentDeliveryError';
}

function retryAfterOf(error: unknown): number | undefined {
  if (!(error instanceof Error) || error.name !== 'RetryLaterError' || !('retryAfterMs' in error)) return undefined;
  const ms = error.retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH)}…` : message;
}

/** BullMQ rejects ':' in custom job ids and ids that are plain integers. */
function safeJobId(id: string): string {
  return id.replace(/:/g, '_');
}
