import { badInput, conflict } from '../domain/errors.js';
import { textProblem } from '../domain/text.js';
import type { AgentDoc, AgentRole, AgentStatus } from '../domain/model.js';
import { DuplicateKeyError } from '../store/port.js';
import { drainQueue, requeueAgent } from './assignment.js';
import type { WorkflowDeps } from './deps.js';
import * as transitions from './transitions.js';
import { hashToken, newAgentToken } from './tokens.js';

export interface CreateAgentInput {
  name: string;
  email: string;
  role: AgentRole;
  capacity: number;
}

/** Characters in an email address (RFC 5321's path limit). */
export const MAX_EMAIL = 320;

/** Characters in an agent's name. */
export const MAX_NAME = 200;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Returns the token once; only its hash is stored. */
export async function createAgent(deps: WorkflowDeps, input: CreateAgentInput): Promise<{ agent: AgentDoc; token: string }> {
  const name = input.name.trim();
  const problem = textProblem(name, MAX_NAME, 'name');
  if (problem) throw badInput(problem, 'name');
  if (!EMAIL.test(input.email) || input.email.length > MAX_EMAIL) throw badInput('email is not a valid address', 'email');
  const { capacity } = input;
  if (!Number.isInteger(capacity) || capacity < 0 || capacity > 1000) throw badInput('capacity must be a whole number from 0 to 1000', 'capacity');
  const token = newAgentToken();
  try {
    const agent = await transitions.createAgent(deps, { name, email: input.email, role: input.role, capacity, tokenHash: hashToken(token) }, deps.clock.now());
    return { agent, token };
  } catch (error) {
    if (error instanceof DuplicateKeyError) throw conflict(`an agent with email ${input.email.toLowerCase()} already exists`);
    throw error;
  }
}

export async function setAgentStatus(deps: WorkflowDeps, agent: AgentDoc, status: AgentStatus): Promise<AgentDoc> {
  const now = deps.clock.now();
  const changed = await transitions.changeAgentStatus(deps, agent._id, status, now);
  if (!changed) return (await deps.repos.agents.byId(agent._id)) ?? agent;
  if (status === 'OFFLINE' && deps.config.requeueOnOffline) await requeueAgent(deps, agent._id);
  if (status === 'ONLINE' || (status === 'OFFLINE' && deps.config.requeueOnOffline)) await drainQueue(deps);
  return (await deps.repos.agents.byId(agent._id)) ?? changed;
}

/**
 * Closes the agent's live sockets whose credentials no longer authenticate,
 * on every instance. Call it after the change is stored: deactivation, token
 * rotation, sign-out, password change.
 */
export async function revokeSockets(deps: WorkflowDeps, agentId: string): Promise<void> {
  await transitions.announceRevocation(deps, agentId, deps.clock.now());
}
