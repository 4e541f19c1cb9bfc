import { z } from 'zod';
import type { AgentView } from '../../events/types.js';
import { builder } from '../builder.js';
import { AgentRoleEnum, AgentStatusEnum } from './enums.js';
import { eventsFor } from './events.js';

export const Agent = builder.objectRef<AgentView>('Agent').implement({
  description: 'A person answering customers. ADMINs also manage the desk.',
  fields: (t) => ({
    id: t.exposeID('_id'),
    name: t.exposeString('name'),
    email: t.exposeString('email'),
    role: t.expose('role', { type: AgentRoleEnum }),
    status: t.expose('status', { type: AgentStatusEnum }),
    capacity: t.exposeInt('capacity', { description: 'How many conversations this agent takes at once.' }),
    activeConversations: t.exposeInt('activeConversations'),
    lastAssignedAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.lastAssignedAt }),
    statusChangedAt: t.field({ type: 'DateTime', resolve: (a) => a.statusChangedAt }),
  }),
});

const CreateAgentInput = builder.inputType('CreateAgentInput', {
  fields: (t) => ({
    name: t.string({ required: true, validate: { minLength: [1, { message: 'name must not be empty' }], maxLength: 200 } }),
    email: t.string({ required: true, validate: { schema: z.string().email('email is not a valid address').max(320) } }),
    role: t.field({ type: AgentRoleEnum, defaultValue: 'AGENT' }),
    capacity: t.int({ defaultValue: 5, validate: { min: [0, { message: 'capacity must be 0 or more' }], max: 1000 } }),
  }),
});

const CreateAgentPayload = builder.objectRef<{ agent: AgentView; token: string }>('CreateAgentPayload').implement({
  fields: (t) => ({
    agent: t.field({ type: Agent, resolve: (p) => p.agent }),
    token: t.exposeString('token', { description: 'The bearer token for this agent. Shown once; only its hash is stored.' }),
  }),
});

builder.queryFields((t) => ({
  viewer: t.field({
    type: Agent,
    description: 'The agent the bearer token belongs to.',
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => ctx.services.workflow.agentView(ctx.viewer!),
  }),
  agents: t.field({
    type: [Agent],
    authScopes: { authenticated: true },
    resolve: async (_root, _args, ctx) => (await ctx.services.repos.agents.list()).map(ctx.services.workflow.agentView),
  }),
}));

builder.mutationFields((t) => ({
  createAgent: t.field({
    type: CreateAgentPayload,
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateAgentInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const { agent, token } = await ctx.services.workflow.createAgent({ ...input, role: input.role ?? 'AGENT', capacity: input.capacity ?? 5 });
      return { agent: ctx.services.workflow.agentView(agent), token };
    },
  }),
  setAgentStatus: t.field({
    type: Agent,
    authScopes: { authenticated: true },
    args: { status: t.arg({ type: AgentStatusEnum, required: true }) },
    resolve: async (_root, { status }, ctx) => ctx.services.workflow.agentView(await ctx.services.workflow.setAgentStatus(ctx.viewer!, status)),
  }),
}));

builder.subscriptionFields((t) => ({
  agentUpdated: t.field({
    type: Agent,
    description: 'An agent was created or changed status (and so capacity may have freed).',
    authScopes: { authenticated: true },
    subscribe: (_root, _args, ctx) => eventsFor(ctx.services.bus, ['agent.status'], () => true),
    resolve: (event: { agent: AgentView }) => event.agent,
  }),
}));
