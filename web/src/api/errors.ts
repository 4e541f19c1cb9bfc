// API errors in words, by `extensions.code`: never a raw JSON dump, never
// swallowed. Where the server's own message says more (which field, which
// agent is full), it follows the words.
import type { CombinedError } from 'urql';

const WORDS: Record<string, string> = {
  UNAUTHENTICATED: 'Your session has ended: sign in again.',
  FORBIDDEN: 'You are not allowed to do that.',
  NOT_FOUND: 'That conversation or item does not exist, or you cannot see it.',
  BAD_USER_INPUT: 'Please check what you entered',
  SERVICE_WINDOW_CLOSED: 'The 24-hour window has closed: send a template.',
  CONFLICT: 'That could not be done in its current state',
  RATE_LIMITED: 'Too many requests: wait a moment and try again.',
  UNAVAILABLE: 'The desk is temporarily unavailable: try again shortly.',
  QUERY_TOO_COMPLEX: 'That request asks for too much at once.',
  SHUTTING_DOWN: 'The desk is restarting: try again in a moment.',
  WHATSAPP_NOT_CONFIGURED: 'WhatsApp sending is not set up on this desk.',
};

/** Codes whose server message adds detail worth showing. */
const WITH_DETAIL = new Set(['BAD_USER_INPUT', 'CONFLICT', 'FORBIDDEN']);

export function errorCode(error: CombinedError): string | null {
  for (const graphQLError of error.graphQLErrors) {
    const code = graphQLError.extensions?.code;
    if (typeof code === 'string') return code;
  }
  return null;
}

export function describeError(error: CombinedError): string {
  if (error.networkError && error.graphQLErrors.length === 0) {
    return 'Cannot reach the desk: check the connection and try again.';
  }
  const first = error.graphQLErrors[0];
  const code = errorCode(error);
  const words = code ? WORDS[code] : undefined;
  if (!words) return first?.message ?? 'Something went wrong.';
  if (code && WITH_DETAIL.has(code) && first?.message) return `${words}: ${first.message}`;
  return words;
}
