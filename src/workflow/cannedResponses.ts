import { badInput, conflict, notFound } from '../domain/errors.js';
import { requireText, searchTerm } from '../domain/text.js';
import type { AgentDoc, CannedResponseDoc } from '../domain/model.js';
import { DuplicateKeyError } from '../store/port.js';
import type { CannedResponseInput } from '../store/repositories/cannedResponses.js';
import type { WorkflowDeps } from './deps.js';

/** A console lists them all in its picker; more than this is not a picker any more. */
export const MAX_CANNED_RESPONSES = 500;
export const MAX_CANNED_TEXT = 4096;
const SHORTCUT = /^[a-z0-9][a-z0-9_-]{0,49}$/;

/** "/Refund" and "refund" are one shortcut: stored without the slash, in lower case. */
function checkShortcut(raw: string): string {
  const shortcut = raw.trim().replace(/^\//, '').toLowerCase();
  if (!SHORTCUT.test(shortcut)) throw badInput('shortcut must be 1 to 50 letters, digits, "-" or "_" (a leading "/" is dropped)', 'shortcut');
  return shortcut;
}

function checkText(raw: string): string {
  // The WhatsApp text limit, in characters as Meta counts them: a canned response is sent as a reply.
  return requireText(raw.trim(), MAX_CANNED_TEXT, 'text');
}

const duplicate = (shortcut: string) => conflict(`a canned response with shortcut "${shortcut}" already exists`, 'shortcut');

export function listCannedResponses(deps: WorkflowDeps, search: string | null): Promise<CannedResponseDoc[]> {
  return deps.repos.cannedResponses.list(searchTerm(search), MAX_CANNED_RESPONSES);
}

export async function createCannedResponse(deps: WorkflowDeps, viewer: AgentDoc, input: CannedResponseInput): Promise<CannedResponseDoc> {
  const shortcut = checkShortcut(input.shortcut);
  const text = checkText(input.text);
  try {
    return await deps.repos.cannedResponses.create({ shortcut, text }, viewer._id, deps.clock.now());
  } catch (error) {
    if (error instanceof DuplicateKeyError) throw duplicate(shortcut);
    throw error;
  }
}

export async function updateCannedResponse(deps: WorkflowDeps, id: string, input: { shortcut?: string | null; text?: string | null }): Promise<CannedResponseDoc> {
  const changes: Partial<CannedResponseInput> = {};
  if (input.shortcut != null) changes.shortcut = checkShortcut(input.shortcut);
  if (input.text != null) changes.text = checkText(input.text);
  try {
    const updated = Object.keys(changes).length
      ? await deps.repos.cannedResponses.update(id, changes, deps.clock.now())
      : await deps.repos.cannedResponses.byId(id);
    if (!updated) throw notFound('canned response', id);
    return updated;
  } catch (error) {
    if (error instanceof DuplicateKeyError) throw duplicate(changes.shortcut ?? '');
    throw error;
  }
}

export async function deleteCannedResponse(deps: WorkflowDeps, id: string): Promise<boolean> {
  if (!(await deps.repos.cannedResponses.remove(id))) throw notFound('canned response', id);
  return true;
}
