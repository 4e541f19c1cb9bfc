// GET /media/:messageId — the bytes of a message's file, for `<img src>` and
// download links: the signed URL (signedUrl.ts) stands in for the bearer
// token. 401 when the signature is missing, wrong or expired; 404 when the
// agent it names may not see the conversation (or it does not exist); 409
// while the file is not held yet (PENDING) or could not be (FAILED).
import { serializerCompiler, validatorCompiler, type FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MEDIA_PATH, type MediaUrlSigner } from './signedUrl.js';
import type { MediaAccess } from '../workflow/media.js';

export interface MediaRouteOptions {
  signer: MediaUrlSigner;
  mediaFor(agentId: string, messageId: string): Promise<MediaAccess>;
}

/** Shown in the page or player: everything else is offered as a download. */
const INLINE = /^(image\/(jpeg|png|webp)|video\/(mp4|3gpp)|audio\/(aac|amr|mpeg|mp4|ogg))$/;

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'video/3gpp': '3gp',
  'audio/aac': 'aac',
  'audio/amr': 'amr',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/ogg': 'ogg',
  'application/pdf': 'pdf',
  'text/plain': 'txt',
};

/** RFC 6266: an ASCII fallback and the exact name as RFC 8187 UTF-8. */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

const mediaRequest = {
  params: z.object({ messageId: z.string() }),
  // The signature's fields; the signer says what is missing or wrong.
  querystring: z.record(z.string(), z.unknown()),
};

/** Registered with its options: `app.register(mediaRoutes, { signer, mediaFor })`. */
export const mediaRoutes: FastifyPluginAsyncZod<MediaRouteOptions> = async (app, options) => {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.get(`${MEDIA_PATH}/:messageId`, { schema: mediaRequest }, async (request, reply) => {
    const { messageId } = request.params;
    const proof = options.signer.verify(messageId, request.query);
    if (!proof.ok) return reply.code(401).send({ error: proof.reason });
    const access = await options.mediaFor(proof.agentId, messageId);
    if (access.kind === 'not_found') return reply.code(404).send({ error: `media of message ${messageId} not found` });
    if (access.kind === 'not_ready') {
      return reply.code(409).send({ error: access.status === 'PENDING' ? 'the file is not downloaded yet' : `the file is not available: ${access.reason ?? access.status}`, status: access.status });
    }
    const media = access.message.media!;
    const mimeType = (media.mimeType ?? 'application/octet-stream').split(';')[0]!.trim().toLowerCase();
    const filename = media.filename ?? `${messageId}.${EXTENSIONS[mimeType] ?? 'bin'}`;
    return reply
      .code(200)
      .header('content-type', media.mimeType ?? 'application/octet-stream')
      .header('content-length', String(access.size))
      .header('content-disposition', contentDisposition(INLINE.test(mimeType) ? 'inline' : 'attachment', filename))
      // Customer files are untrusted: never sniffed into HTML, never scripted, never cached by shared caches.
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox")
      .header('cache-control', 'private, max-age=300')
      .send(access.stream());
  });
};
