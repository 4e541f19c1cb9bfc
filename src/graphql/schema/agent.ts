import { rateLimited } from '../../domain/errors.js';
import type { AgentView } from '../../events/types.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../workflow/passwords.js';
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
      resolve: (a, _args, ctx) => (canReadEmails(ctx) ? a.email : null),
    }),
    role: t.expose('role', { type: AgentRoleEnum }),
    status: t.expose('status', { type: AgentStatusEnum }),
    capacity: t.exposeInt('capacity', { description: 'How many conversations this agent takes at once.' }),
    activeConversations: t.exposeInt('activeConversations'),
    active: t.boolean({
      description: 'False once an admin deactivated the agent: none of their tokens or sessions work and nothing is assigned to them.',
      resolve: (a) => a.active !== false,
    }),
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
    password: t.string({ description: `Optional: lets the agent signIn with their email. ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.` }),
  }),
});

const UpdateAgentInput = builder.inputType('UpdateAgentInput', {
  description: 'Only the fields given change; each is checked as in CreateAgentInput.',
  fields: (t) => ({
    name: t.string(),
    capacity: t.int(),
    role: t.field({ type: AgentRoleEnum }),
    password: t.string({ description: 'A new password; ends every session the agent has open.' }),
  }),
});

const Session = builder.objectRef<{ token: string; expiresAt: Date; agent: AgentView }>('Session').implement({
  description: 'A signed-in session. Send the token as `Authorization: Bearer <token>` (or graphql-ws `connectionParams.authorization`).',
  fields: (t) => ({
    token: t.exposeString('token', { description: 'Shown once; only its hash is stored.' }),
    expiresAt: t.field({ type: 'DateTime', description: 'After this (SESSION_TTL after signIn) the token is refused: sign in again.', resolve: (s) => s.expiresAt }),
    agent: t.field({ type: Agent, resolve: (s) => s.agent }),
  }),
});

const CreateAgentPayload = builder.objectRef<{ agent: AgentView; token: string }>('CreateAgentPayload').implement({
  fields: (t) => ({
    agent: t.field({ type: Agent, resolve: (p) => p.agent }),
    token: t.exposeString('token', { description: 'The API token for this agent (integrations). Shown once; only its hash is stored.' }),
  }),
});

builder.queryFields((t) => ({
  viewer: t.withAuth({ authenticated: true }).field({
    type: Agent,
    description: 'The agent the bearer token (API token or session) belongs to.',
    resolve: (_root, _args, ctx) => ctx.viewer,
  }),
  agents: t.withAuth({ authenticated: true }).field({
    type: [Agent],
    description: 'Every agent, deactivated ones included (active: false), by name.',
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
    description: "Your own status; admins may pass agentId to set another agent's.",
    args: { status: t.arg({ type: AgentStatusEnum, required: true }), agentId: t.arg.id() },
    resolve: (_root, args, ctx) => ctx.services.workflow.setAgentStatus(ctx.viewer, args.status, args.agentId ? String(args.agentId) : null),
  }),
  signIn: t.field({
    type: Session,
    description:
      'A session for an agent with a password. A wrong email or password answers UNAUTHENTICATED; too many attempts from one IP or for one email answer RATE_LIMITED with `retryAfter` seconds.',
    args: { email: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const verdict = await ctx.services.signInThrottle.attempt(ctx.credentials.ip, args.email);
      if (!verdict.allowed) throw rateLimited(verdict.retryAfterSeconds);
      const session = await ctx.services.workflow.signIn(args.email, args.password);
      await ctx.services.signInThrottle.succeeded(args.email);
      return session;
    },
  }),
  signOut: t.withAuth({ authenticated: true }).boolean({
    description: 'Ends the session this request was made with. False when it was made with an API token, which stays valid.',
    resolve: (_root, _args, ctx) => ctx.services.workflow.signOut(ctx.viewer, ctx.credentials.token),
  }),
  changePassword: t.withAuth({ authenticated: true }).boolean({
    description: 'Your own password. Without one yet, pass an empty currentPassword. Ends your other sessions.',
    args: { currentPassword: t.arg.string({ required: true }), newPassword: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.workflow.changePassword(ctx.viewer, args.currentPassword, args.newPassword, ctx.credentials.token),
  }),
  updateAgent: t.withAuth({ admin: true }).field({
    type: Agent,
    description: 'Admins. A new password ends the agent’s sessions.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateAgentInput, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.workflow.updateAgent(ctx.viewer, String(args.id), args.input),
  }),
  deactivateAgent: t.withAuth({ admin: true }).field({
    type: Agent,
    description:
      'Admins. Every token and session of the agent is refused from now on and their open sockets close; their conversations go back to the queue. Calling it again changes nothing.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.workflow.deactivateAgent(ctx.viewer, String(args.id)),
  }),
  reactivateAgent: t.withAuth({ admin: true }).field({
    type: Agent,
    description: 'Admins. Gives no credential back: rotateAgentToken for a new API token, or the agent signs in with their password.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.workflow.reactivateAgent(String(args.id)),
  }),
  rotateAgentToken: t.withAuth({ authenticated: true }).string({
    description: 'A new API token, shown once; the old one is refused from now on. Admins for any agent, agents for themselves.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.workflow.rotateAgentToken(ctx.viewer, String(args.id)),
  }),
}));

builder.subscriptionFields((t) => ({
  agentUpdated: t.field({
    type: Agent,
    description: 'An agent was created or changed: status, name, capacity, role, `active`, or `activeConversations`.',
    authScopes: { authenticated: true },
    subscribe: (_root, _args, ctx) => eventsFor(ctx.services.bus, ['agent.status', 'agent.updated'], () => true),
    resolve: (event: { agent: AgentView }) => event.agent,
  }),
}));
