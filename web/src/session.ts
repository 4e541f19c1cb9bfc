// The signed-in session lives in localStorage so a reload keeps it; drafts
// live there too (per conversation), so an expired session sends the agent to
// sign-in without losing what they were typing.
export interface Session {
  token: string;
  /** ISO time; null for access tokens, which do not expire. */
  expiresAt: string | null;
}

const SESSION_KEY = 'desk.session';
const DRAFT_PREFIX = 'desk.draft.';

export function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    const session = JSON.parse(raw) as Session;
    if (typeof session.token !== 'string' || !session.token) return null;
    if (session.expiresAt && Date.parse(session.expiresAt) <= Date.now()) return null;
    return session;
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  localStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession(): void {
  localStorage.removeItem(SESSION_KEY);
}

export function loadDraft(conversationId: string): string {
  return localStorage.getItem(DRAFT_PREFIX + conversationId) ?? '';
}

export function saveDraft(conversationId: string, text: string): void {
  if (text) localStorage.setItem(DRAFT_PREFIX + conversationId, text);
  else localStorage.removeItem(DRAFT_PREFIX + conversationId);
}
