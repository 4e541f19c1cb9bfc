import type { AgentView } from '../../events/types.js';
import { canReadEmails } from '../../workflow/access.js';
import { builder } from '../builder.js';
import { AgentRoleEnum, AgentStatusEnum } from './enums.js';
import { eventsFor } from './events.js';

export const Agent = builder.objectRef<AgentView>('Agent').implement({
  description: 'A person answering customers. ADMINs also manage the desk.',
  fields: (t) => ({
    id: t.exposeID('_id'),
    name: t.exposeString('name'),
    email: t.string({
      nullable: true,
      description: "Shown to admins only; null for everyone else (agents see colleagues' names and status).",
      resolve: (a, _args, ctx) => (canReadEmails(ctx.viewer) ? a.email : null),
    }),
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
    // Defaults are the schema's; every check is the workflow's (src/workflow/agents.ts), once.
    name: t.string({ required: true, description: '1 to 200 characters, not blank.' }),
    email: t.string({ required: true, description: 'An email address of at most 320 characters.' }),
    role: t.field({ type: AgentRoleEnum, required: true, defaultValue: 'AGENT' }),
    capacity: t.int({ required: true, defaultValue: 5, description: 'Conversations at once, 0 to 1000.' }),
  }),
});

const CreateAgentPayload = builder.objectRef<{ agent: AgentView; token: string }>('CreateAgentPayload').implement({
  fields: (t) => ({
    agent: t.field({ type: Agent, resolve: (p) => p.agent }),
    token: t.exposeString('token', { description: 'The bearer token for this agent. Shown once; only its hash is stored.' }),
  }),
});

builder.queryFields((t) => ({
  viewer: t.withAuth({ authenticated: true }).field({
    type: Agent,
    description: 'The agent the bearer token belongs to.',
    resolve: (_root, _args, ctx) => ctx.viewer,
  }),
  agents: t.withAuth({ authenticated: true }).field({
    type: [Agent],
    resolve: (_root, _args, ctx) => ctx.services.repos.agents.list(),
  }),
}));

builder.mutationFields((t) => ({
  createAgent: t.withAuth({ admin: true }).field({
    type: CreateAgentPayload,
    args: { input: t.arg({ type: CreateAgentInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.workflow.createAgent(input),
  }),
  setAgentStatus: t.withAuth({ authenticated: true }).field({
    type: Agent,
    args: { status: t.arg({ type: AgentStatusEnum, required: true }) },
    resolve: (_root, { status }, ctx) => ctx.services.workflow.setAgentStatus(ctx.viewer, status),
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
