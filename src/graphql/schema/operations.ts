import type { DeadLetter } from '../../jobs/port.js';
import type { IntegrationStatus } from '../context.js';
import { notFound } from '../../domain/errors.js';
import { builder } from '../builder.js';

const IntegrationStatusEnum = builder.enumType('IntegrationHealth', { values: ['OK', 'DEGRADED', 'FAILING'] as const });

const Integration = builder.objectRef<IntegrationStatus>('Integration').implement({
  description: 'A CRM plugin and how its event delivery is going.',
  fields: (t) => ({
    name: t.exposeString('name'),
    status: t.expose('status', { type: IntegrationStatusEnum }),
    lastError: t.exposeString('lastError', { nullable: true }),
    lastErrorAt: t.field({ type: 'DateTime', nullable: true, resolve: (i) => i.lastErrorAt }),
    lastDeliveredAt: t.field({ type: 'DateTime', nullable: true, resolve: (i) => i.lastDeliveredAt }),
    pending: t.exposeInt('pending'),
    deadLetters: t.exposeInt('deadLetters'),
  }),
});

const DeadLetterType = builder.objectRef<DeadLetter>('DeadLetter').implement({
  description: 'An outbox job that exhausted its retries (a WhatsApp send, a follow-up).',
  fields: (t) => ({
    id: t.exposeID('id'),
    queue: t.exposeString('queue'),
    payload: t.field({ type: 'JSON', resolve: (d) => d.payload }),
    attempts: t.exposeInt('attempts'),
    error: t.exposeString('error'),
    failedAt: t.field({ type: 'DateTime', resolve: (d) => d.failedAt }),
  }),
});

builder.queryFields((t) => ({
  integrations: t.field({
    type: [Integration],
    description: 'The loaded CRM plugins, in PLUGINS order.',
    authScopes: { admin: true },
    resolve: (_root, _args, ctx) => ctx.services.integrations(),
  }),
  deadLetters: t.field({
    type: [DeadLetterType],
    description: 'Jobs that exhausted their retries (of one queue when asked), oldest failure first.',
    authScopes: { admin: true },
    args: { queue: t.arg.string() },
    resolve: (_root, args, ctx) => ctx.services.workflow.deadLetters(args.queue ?? undefined),
  }),
}));

builder.mutationFields((t) => ({
  retryDeadLetter: t.field({
    type: 'Boolean',
    description: 'Puts a dead letter back in its queue with fresh attempts. False when there is no such dead letter.',
    authScopes: { admin: true },
    args: { queue: t.arg.string({ required: true }), id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.workflow.retryDeadLetter(args.queue, String(args.id)),
  }),
  retryIntegration: t.field({
    type: 'Int',
    description: "Re-queues an integration's dead deliveries; returns how many. NOT_FOUND when no integration of that name is loaded.",
    authScopes: { admin: true },
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const loaded = await ctx.services.integrations();
      if (!loaded.some((i) => i.name === args.name)) throw notFound('integration', args.name);
      return ctx.services.retryIntegration(args.name);
    },
  }),
}));
