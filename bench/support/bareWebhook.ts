// The ceiling for bench/webhook-ingest: a bare Fastify server that does what
// the desk's webhook route does before any storage (read the raw body, check
// Meta's signature, parse the JSON) and answers 200. Prints its URL.
import Fastify from 'fastify';
import { verifySignature } from '../../src/whatsapp/signature.js';

const secret = process.env.WHATSAPP_APP_SECRET ?? '';
const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.post('/webhooks/whatsapp', async (request, reply) => {
  const raw = request.body as Buffer;
  if (!verifySignature(raw, request.headers['x-hub-signature-256'], secret)) return reply.code(401).send({ error: 'bad signature' });
  JSON.parse(raw.toString('utf8'));
  return reply.code(200).send({ ok: true });
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`GraphQL ready at ${url}/graphql (bare Fastify: no GraphQL, the same start-up line for the bench)`);
