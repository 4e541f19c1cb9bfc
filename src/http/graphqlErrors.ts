// Error bodies for answers the HTTP layer gives itself, before or instead of
// GraphQL execution (rate limit, bad credentials, oversized body), shaped like
// a GraphQL response so clients read every failure on /graphql the same way.
import type { FastifyReply } from 'fastify';

export function graphqlErrorBody(message: string, code: string, extra: Record<string, unknown> = {}) {
  return { errors: [{ message, extensions: { code, ...extra } }] };
}

export function sendGraphqlError(reply: FastifyReply, status: number, message: string, code: string, extra: Record<string, unknown> = {}) {
  // Yoga's CORS answers for the requests it handles; these never reach it, and
  // a browser frontend must still be able to read a 401 or a 429 and its Retry-After.
  const origin = reply.request.headers.origin;
  if (origin) {
    reply.header('access-control-allow-origin', origin);
    reply.header('vary', 'Origin');
    reply.header('access-control-expose-headers', 'Retry-After, WWW-Authenticate');
  }
  return reply.status(status).type('application/json; charset=utf-8').send(graphqlErrorBody(message, code, extra));
}
