import { randomBytes } from 'node:crypto';
import { badInput, conflict, forbidden, notFound } from '../domain/errors.js';
import type { AgentDoc, AgentRole, AgentStatus } from '../domain/model.js';
import { characterCount, textProblem } from '../domain/text.js';
import { DuplicateKeyError } from '../store/port.js';
import { BOOTSTRAP_ADMIN_EMAIL, type AgentChanges } from '../store/repositories/agents.js';
import { drainQueue, requeueAgent } from './assignment.js';
import type { WorkflowDeps } from './deps.js';
import { checkPasswordRules, hashPassword } from './passwords.js';
import * as transitions from './transitions.js';
import { hashToken, newAgentToken } from './tokens.js';

export interface CreateAgentInput {
  name: string;
  email: string;
  role: AgentRole;
  capacity: number;
  /** Optional: lets the agent signIn with their email; the API token works either way. */
  password?: string | null;
}

export interface UpdateAgentInput {
  name?: string | null;
  capacity?: number | null;
  role?: AgentRole | null;
  password?: string | null;
}

/** Characters in an email address (RFC 5321's path limit). */
export const MAX_EMAIL = 320;

/** Characters in an agent's name. */
export const MAX_NAME = 200;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function checkName(raw: string): string {
  const name = raw.trim();
  const problem = textProblem(name, MAX_NAME, 'name');
  if (problem) throw badInput(problem, 'name');
  return name;
}

function checkCapacity(capacity: number): number {
  if (!Number.isInteger(capacity) || capacity < 0 || capacity > 1000) throw badInput('capacity must be a whole number from 0 to 1000', 'capacity');
  return capacity;
}

/** Returns the token once; only its hash is stored. */
export async function createAgent(deps: WorkflowDeps, input: CreateAgentInput): Promise<{ agent: AgentDoc; token: string }> {
  const name = checkName(input.name);
  const email = input.email.trim();
  if (!EMAIL.test(email) || characterCount(email) > MAX_EMAIL) throw badInput('email is not a valid address', 'email');
  const capacity = checkCapacity(input.capacity);
  if (input.password != null) checkPasswordRules(input.password, 'password');
  const passwordHash = input.password != null ? await hashPassword(input.password) : null;
  const token = newAgentToken();
  try {
    const agent = await transitions.createAgent(deps, { name, email, role: input.role, capacity, tokenHash: hashToken(token), passwordHash }, deps.clock.now());
    return { agent, token };
  } catch (error) {
    if (error instanceof DuplicateKeyError) throw conflict(`an agent with email ${email.toLowerCase()} already exists`, 'email');
    throw error;
  }
}

async function requireAgent(deps: WorkflowDeps, agentId: string): Promise<AgentDoc> {
  const agent = await deps.repos.agents.byId(agentId);
  if (!agent) throw notFound('agent', agentId);
  return agent;
}

/** An agent sets their own status; admins may set another agent's (`agentId`). */
export async function setAgentStatus(deps: WorkflowDeps, viewer: AgentDoc, status: AgentStatus, agentId: string | null = null): Promise<AgentDoc> {
  let agent = viewer;
  if (agentId && agentId !== viewer._id) {
    if (viewer.role !== 'ADMIN') throw forbidden("only admins can set another agent's status");
    agent = await requireAgent(deps, agentId);
  }
  if (agent.active === false) throw conflict(`agent ${agent._id} is deactivated: reactivate them first`);
  const now = deps.clock.now();
  const changed = await transitions.changeAgentStatus(deps, agent._id, status, now);
  if (!changed) return (await deps.repos.agents.byId(agent._id)) ?? agent;
  if (status === 'OFFLINE' && deps.config.requeueOnOffline) await requeueAgent(deps, agent._id);
  if (status === 'ONLINE' || (status === 'OFFLINE' && deps.config.requeueOnOffline)) await drainQueue(deps);
  return (await deps.repos.agents.byId(agent._id)) ?? changed;
}

/** Admins: name, capacity, role, password. A new password ends the agent's sessions (and their sockets). */
export async function updateAgent(deps: WorkflowDeps, viewer: AgentDoc, agentId: string, input: UpdateAgentInput): Promise<AgentDoc> {
  const agent = await requireAgent(deps, agentId);
  const changes: AgentChanges = {};
  if (input.name != null) changes.name = checkName(input.name);
  if (input.capacity != null) changes.capacity = checkCapacity(input.capacity);
  if (input.role != null && input.role !== agent.role) {
    if (agent._id === viewer._id) throw conflict('admins cannot take away their own ADMIN role', 'role');
    if (agent.email === BOOTSTRAP_ADMIN_EMAIL) throw conflict('the ADMIN_TOKEN administrator stays an admin', 'role');
    changes.role = input.role;
  }
  if (input.password != null) {
    checkPasswordRules(input.password, 'password');
    changes.passwordHash = await hashPassword(input.password);
  }
  if (Object.keys(changes).length === 0) return agent;
  const now = deps.clock.now();
  const updated = await transitions.updateAgent(deps, agent._id, changes, now);
  if (!updated) throw notFound('agent', agentId);
  if (changes.passwordHash) {
    await deps.repos.sessions.revokeAllOf(agent._id);
    await revokeSockets(deps, agent._id);
  }
  if (changes.capacity !== undefined && changes.capacity > agent.capacity) await drainQueue(deps);
  return (await deps.repos.agents.byId(agent._id)) ?? updated;
}

/**
 * Every token and session of the agent stops working with this call; their
 * conversations go back to the queue. Reactivation gives no credential back:
 * an admin rotates the token, or the agent signs in with their password.
 */
export async function deactivateAgent(deps: WorkflowDeps, viewer: AgentDoc, agentId: string): Promise<AgentDoc> {
  const agent = await requireAgent(deps, agentId);
  if (agent._id === viewer._id) throw conflict('admins cannot deactivate themselves');
  if (agent.email === BOOTSTRAP_ADMIN_EMAIL) throw conflict('the ADMIN_TOKEN administrator cannot be deactivated; change ADMIN_TOKEN instead');
  const now = deps.clock.now();
  const deactivated = await transitions.setAgentActive(deps, agent._id, false, now);
  if (!deactivated) return agent; // already deactivated
  // An unguessable hash whose token nobody holds: the old token is refused from here on.
  await deps.repos.agents.replaceTokenHash(agent._id, hashToken(`revoked:${randomBytes(32).toString('base64url')}`), now);
  await deps.repos.sessions.revokeAllOf(agent._id);
  await revokeSockets(deps, agent._id);
  await transitions.changeAgentStatus(deps, agent._id, 'OFFLINE', now);
  await requeueAgent(deps, agent._id, 'deactivated');
  await drainQueue(deps);
  return (await deps.repos.agents.byId(agent._id)) ?? deactivated;
}

export async function reactivateAgent(deps: WorkflowDeps, agentId: string): Promise<AgentDoc> {
  const agent = await requireAgent(deps, agentId);
  return (await transitions.setAgentActive(deps, agent._id, true, deps.clock.now())) ?? agent;
}

/** A new API token (returned once); the old one is refused from this call on. Admins for anyone, agents for themselves. */
export async function rotateAgentToken(deps: WorkflowDeps, viewer: AgentDoc, agentId: string): Promise<string> {
  if (agentId !== viewer._id && viewer.role !== 'ADMIN') throw forbidden('agents can only rotate their own token');
  const agent = await requireAgent(deps, agentId);
  if (agent.email === BOOTSTRAP_ADMIN_EMAIL) throw conflict("the ADMIN_TOKEN administrator's token is the ADMIN_TOKEN setting: change it there");
  if (agent.active === false) throw conflict(`agent ${agent._id} is deactivated: reactivate them first`);
  const token = newAgentToken();
  await deps.repos.agents.replaceTokenHash(agent._id, hashToken(token), deps.clock.now());
  await revokeSockets(deps, agent._id);
  return token;
}

/**
 * Closes the agent's live sockets whose credentials no longer authenticate,
 * on every instance. Call it after the change is stored: deactivation, token
 * rotation, sign-out, password change.
 */
export async function revokeSockets(deps: WorkflowDeps, agentId: string): Promise<void> {
  await transitions.announceRevocation(deps, agentId, deps.clock.now());
}
