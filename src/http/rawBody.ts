// Signature checks (Meta's X-Hub-Signature-256, Zendesk's
// X-Zendesk-Webhook-Signature, ...) are computed over the exact bytes sent, so
// the routes that verify them must see the body before any JSON parsing.
// Called inside a route group's own scope, this changes parsing for that
// group only.
import type { FastifyInstance } from 'fastify';

/**
 * Makes `request.body` a Buffer holding the bytes as received, for the given
 * content types, in this Fastify scope only. The route parses it after
 * verifying the signature.
 */
export function acceptRawBody(scope: FastifyInstance, contentTypes: string[] = ['application/json']): void {
  for (const contentType of contentTypes) {
    if (scope.hasContentTypeParser(contentType)) scope.removeContentTypeParser(contentType);
    scope.addContentTypeParser(contentType, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  }
}
