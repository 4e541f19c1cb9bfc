import { badInput } from '../../domain/errors.js';
import { builder } from '../builder.js';
import { Message } from './message.js';

builder.mutationFields((t) => ({
  sendMedia: t.field({
    type: Message,
    description:
      "A file to the customer, sent as a GraphQL multipart request. Checked against WhatsApp's limits (image jpeg/png 5 MB; video mp4/3gpp 16 MB; audio aac/amr/mpeg/mp4/ogg 16 MB; document pdf/txt/office 100 MB; sticker webp 100 KB static, 500 KB animated); inside the 24-hour window only; the caption shows on images, videos and documents.",
    authScopes: { authenticated: true },
    args: {
      conversationId: t.arg.id({ required: true }),
      file: t.arg({ type: 'File', required: true }),
      caption: t.arg.string(),
    },
    resolve: async (_root, args, ctx) => {
      const file = args.file;
      const caption = args.caption?.trim() ? args.caption : null;
      if (!file.type) throw badInput('the file part carries no Content-Type: say what kind of file it is', 'file');
      const bytes = Buffer.from(await file.arrayBuffer());
      return ctx.services.workflow.sendMedia(ctx.viewer!, String(args.conversationId), { bytes, mimeType: file.type, filename: file.name || 'file' }, caption);
    },
  }),
}));
