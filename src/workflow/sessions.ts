// Sign-in with email and password, and the bearer credentials behind every
// request: an agent's API token (integrations) or a session token (people).
import { randomBytes } from 'node:crypto';
import { badInput, unauthenticated } from '../domain/errors.js';
import type { AgentDoc } from '../domain/model.js';
import type { WorkflowDeps } from './deps.js';
import { checkPasswordRules, decoyHash, hashPassword, MAX_PASSWORD_LENGTH, verifyPassword } from './passwords.js';
import { revokeSockets } from './agents.js';
import { hashToken } from './tokens.js';

export interface Session {
  token: string;
  expiresAt: Date;
  agent: AgentDoc;
}

const WRONG_CREDENTIALS = 'email or password is wrong';

/** Session tokens are told apart from API tokens (`wsd_`) by secret scanners and people alike. */
function newSessionToken(): string {
  return `wss_${randomBytes(32).toString('base64url')}`;
}

/**
 * An unknown email, an agent without a password, a deactivated agent and a
 * wrong password all get the same answer after the same scrypt work.
 */
export async function signIn(deps: WorkflowDeps, email: string, password: string): Promise<Session> {
  const agent = email.length <= 320 ? await deps.repos.agents.byEmail(email) : null;
  const candidate = password.length <= MAX_PASSWORD_LENGTH * 4 ? password : '';
  const matches = await verifyPassword(candidate, agent?.passwordHash ?? (await decoyHash()));
  if (!agent || !agent.passwordHash || !matches || agent.active === false) throw unauthenticated(WRONG_CREDENTIALS);
  const token = newSessionToken();
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + deps.config.sessionTtlMs);
  await deps.repos.sessions.create(agent._id, hashToken(token), now, expiresAt);
  return { token, expiresAt, agent };
}

/** Ends the session the token opened. False when the token is not a session (an API token stays valid). */
export async function signOut(deps: WorkflowDeps, viewer: AgentDoc, token: string | null): Promise<boolean> {
  if (!token) return false;
  const ended = (await deps.repos.sessions.revoke(hashToken(token))) > 0;
  if (ended) await revokeSockets(deps, viewer._id);
  return ended;
}

/**
 * The viewer's own password. An agent who has none yet (API token only) sets
 * one with an empty currentPassword. Every other session of theirs ends.
 */
export async function changePassword(deps: WorkflowDeps, viewer: AgentDoc, currentPassword: string, newPassword: string, token: string | null): Promise<boolean> {
  if (viewer.passwordHash) {
    if (!(await verifyPassword(currentPassword.slice(0, MAX_PASSWORD_LENGTH * 4), viewer.passwordHash))) {
      throw badInput('currentPassword is wrong', 'currentPassword');
    }
  } else if (currentPassword !== '') {
    throw badInput('you have no password yet: leave currentPassword empty to set one', 'currentPassword');
  }
  checkPasswordRules(newPassword, 'newPassword');
  const now = deps.clock.now();
  await deps.repos.agents.update(viewer._id, { passwordHash: await hashPassword(newPassword) }, now);
  await deps.repos.sessions.revokeAllOf(viewer._id, token ? hashToken(token) : null);
  await revokeSockets(deps, viewer._id);
  return true;
}

/** The agent a bearer token belongs to: an API token, else a live session. Deactivated agents have none. */
export async function authenticate(deps: WorkflowDeps, token: string): Promise<AgentDoc | null> {
  const tokenHash = hashToken(token);
  const byApiToken = await deps.repos.agents.byTokenHash(tokenHash);
  if (byApiToken) return byApiToken;
  const session = await deps.repos.sessions.current(tokenHash, deps.clock.now());
  return session ? deps.repos.agents.activeById(session.agentId) : null;
}
