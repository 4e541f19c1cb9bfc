// The media and template side of the WhatsApp Cloud API emulator
// (whatsappCloud.ts routes here): what Meta documents for
//
//   GET  /{version}/{media-id}                    → media-retrieve-response.json: a download url (about 5 minutes),
//                                                   mime_type, sha256 (hex), file_size (a string), id
//   GET  {url}  (bearer token)                     → the bytes; an expired url answers 404
//   POST /{version}/{phone-number-id}/media        → multipart (messaging_product, type, file) → {"id"}; errors 131053
//   GET  /{version}/{waba-id}/message_templates    → templates-list-response.json pages, `paging.next` until the last
//
// and the checks Meta makes on a template send (132001 template does not
// exist in that language, 132000 parameter count mismatch). Kept independent
// of src/ on purpose: its own limits, its own placeholder counting.
import { createHash, randomBytes } from 'node:crypto';

export interface HostedMedia {
  id: string;
  bytes: Buffer;
  mimeType: string;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
  filename: string | null;
}

export interface EmulatedTemplate {
  name: string;
  language: string;
  status: string;
  category: string;
  id?: string;
  components: Record<string, unknown>[];
}

export interface MediaScript {
  /** Meta error code (131053 media upload error, 131052 download error, 131000 ...). */
  code: number;
  /** Which call fails: an upload, a lookup (GET /{media-id}) or a download (GET url). */
  on: 'upload' | 'retrieve' | 'download';
  times?: number;
}

const MB = 1024 * 1024;
/** Meta's limits as the emulator checks an upload (docs/whatsapp.md, "Media"). */
const UPLOAD_LIMITS: Record<string, number> = {
  'image/jpeg': 5 * MB,
  'image/png': 5 * MB,
  'video/mp4': 16 * MB,
  'video/3gpp': 16 * MB,
  'audio/aac': 16 * MB,
  'audio/amr': 16 * MB,
  'audio/mpeg': 16 * MB,
  'audio/mp4': 16 * MB,
  'audio/ogg': 16 * MB,
  'application/pdf': 100 * MB,
  'text/plain': 100 * MB,
  'image/webp': 500 * 1024,
};

export const MEDIA_ERRORS: Record<number, { httpStatus: number; message: string; details: string }> = {
  131052: { httpStatus: 400, message: '(#131052) Media download error', details: 'Unable to download the media sent by the user.' },
  131053: { httpStatus: 400, message: '(#131053) Media upload error', details: 'Unable to upload the media used in the message.' },
  132000: {
    httpStatus: 400,
    message: '(#132000) Number of parameters does not match the expected number of params',
    details: 'The number of variable parameter values included in the request did not match the number of variable parameters defined in the template.',
  },
  132001: {
    httpStatus: 404,
    message: '(#132001) Template name does not exist in the translation',
    details: 'The template does not exist in the specified language or the template has not been approved.',
  },
};

export type Answer = (status: number, payload: unknown, headers?: Record<string, string>) => void;

export interface MediaSide {
  readonly hosted: Map<string, HostedMedia>;
  /** Files the desk uploaded, in order. */
  readonly uploads: HostedMedia[];
  templates: EmulatedTemplate[];
  /** Downloads served (successful GETs of a media url). */
  downloads: number;
  host(file: { bytes: Buffer; mimeType: string; filename?: string; id?: string }): HostedMedia;
  expireUrls(): void;
  script(failure: MediaScript): void;
  /** Serves a media/template route; false when the path is not one of them. */
  handle(method: string, path: string, query: URLSearchParams, headers: Record<string, string | string[] | undefined>, raw: Buffer, answer: Answer, errorBody: ErrorBody): Promise<boolean>;
  /** For template sends: Meta-style error code and details, or null when the send matches the catalog (or no catalog is set). */
  checkTemplateSend(template: Record<string, unknown>): { code: number; details: string } | null;
  /** For media sends by id: an id Meta does not know is refused. */
  knows(mediaId: string): boolean;
  reset(): void;
}

export type ErrorBody = (code: number, details?: string, extra?: Record<string, unknown>) => Record<string, unknown>;

function placeholders(text: unknown): number {
  if (typeof text !== 'string') return 0;
  return new Set([...text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1])).size;
}

export function createMediaSide(options: { baseUrl: () => string; accessToken: string; phoneNumberId: string; wabaId: string; urlTtlMs?: number }): MediaSide {
  const hosted = new Map<string, HostedMedia>();
  const uploads: HostedMedia[] = [];
  /** Download tokens → media id and expiry. */
  const urls = new Map<string, { mediaId: string; expiresAt: number }>();
  let scripts: (MediaScript & { remaining: number })[] = [];
  const ttl = options.urlTtlMs ?? 5 * 60_000;

  const take = (on: MediaScript['on']) => {
    const found = scripts.find((s) => s.on === on && s.remaining > 0);
    if (!found) return null;
    found.remaining -= 1;
    scripts = scripts.filter((s) => s.remaining > 0);
    return found;
  };
  const fail = (answer: Answer, errorBody: ErrorBody, code: number) => {
    const known = MEDIA_ERRORS[code];
    answer(known?.httpStatus ?? (code === 131000 ? 500 : 400), errorBody(code, known?.details, known ? { message: known.message } : {}));
  };
  const newMediaId = () => String(1_000_000_000_000_000n + BigInt(randomBytes(6).readUIntBE(0, 6)));

  const side: MediaSide = {
    hosted,
    uploads,
    templates: [],
    downloads: 0,
    host(file) {
      const media: HostedMedia = {
        id: file.id ?? newMediaId(),
        bytes: file.bytes,
        mimeType: file.mimeType,
        sha256: createHash('sha256').update(file.bytes).digest('hex'),
        filename: file.filename ?? null,
      };
      hosted.set(media.id, media);
      return media;
    },
    expireUrls() {
      for (const entry of urls.values()) entry.expiresAt = 0;
    },
    script(failure) {
      scripts.push({ ...failure, remaining: failure.times ?? 1 });
    },
    knows: (mediaId) => hosted.has(mediaId),
    reset() {
      hosted.clear();
      uploads.length = 0;
      urls.clear();
      scripts = [];
      side.templates = [];
      side.downloads = 0;
    },

    async handle(method, path, query, headers, raw, answer, errorBody) {
      const authorized = headers['authorization'] === `Bearer ${options.accessToken}`;

      const download = /^\/download\/([A-Za-z0-9_-]+)$/.exec(path);
      if (download && method === 'GET') {
        if (!authorized) return answer(401, errorBody(190)), true;
        const entry = urls.get(download[1]!);
        // Meta's lookaside answers an expired or unknown URL with a bare 404.
        if (!entry || entry.expiresAt <= Date.now()) return answer(404, 'URL signature expired'), true;
        if (take('download')) return answer(404, 'URL signature expired'), true;
        const media = hosted.get(entry.mediaId)!;
        side.downloads += 1;
        answer(200, media.bytes, { 'content-type': media.mimeType, 'content-length': String(media.bytes.length) });
        return true;
      }

      const templates = /^\/v\d+\.\d+\/([^/]+)\/message_templates$/.exec(path);
      if (templates && method === 'GET') {
        if (!authorized) return answer(401, errorBody(190)), true;
        if (templates[1] !== options.wabaId) return answer(400, errorBody(100, undefined, { message: `Unsupported get request. Object with ID '${templates[1]}' does not exist` })), true;
        const limit = Math.min(Math.max(Number(query.get('limit') ?? 25) || 25, 1), 100);
        const offset = query.get('after') ? Number(Buffer.from(query.get('after')!, 'base64url').toString()) : 0;
        const page = side.templates.slice(offset, offset + limit).map((t, i) => ({ ...t, id: t.id ?? String(1473688840035974 + offset + i) }));
        const cursor = (n: number) => Buffer.from(String(n)).toString('base64url');
        const more = offset + limit < side.templates.length;
        const fields = query.get('fields') ?? 'name,language,status,category,components';
        answer(200, {
          data: page,
          paging: {
            cursors: { before: cursor(offset), after: cursor(offset + page.length) },
            ...(more ? { next: `${options.baseUrl()}/${options.wabaId}/message_templates?fields=${fields}&limit=${limit}&after=${cursor(offset + page.length)}` } : {}),
          },
        });
        return true;
      }

      const upload = /^\/v\d+\.\d+\/([^/]+)\/media$/.exec(path);
      if (upload && method === 'POST') {
        if (!authorized) return answer(401, errorBody(190)), true;
        if (upload[1] !== options.phoneNumberId) return answer(400, errorBody(100, undefined, { message: `Unsupported post request. Object with ID '${upload[1]}' does not exist` })), true;
        const contentType = String(headers['content-type'] ?? '');
        if (!contentType.startsWith('multipart/form-data')) return answer(400, errorBody(100, 'The request must be multipart/form-data')), true;
        let form: FormData;
        try {
          form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
        } catch {
          return answer(400, errorBody(100, 'The multipart body could not be read')), true;
        }
        const file = form.get('file');
        const type = form.get('type');
        if (form.get('messaging_product') !== 'whatsapp') return answer(400, errorBody(100, 'The parameter messaging_product is required.')), true;
        if (typeof type !== 'string' || !(file instanceof Blob)) return answer(400, errorBody(100, 'Params type and file are required')), true;
        if (take('upload')) return fail(answer, errorBody, 131053), true;
        const bytes = Buffer.from(await file.arrayBuffer());
        const limit = UPLOAD_LIMITS[type.split(';')[0]!.trim()] ?? (type.startsWith('application/') ? 100 * MB : undefined);
        if (limit === undefined) return answer(400, errorBody(131053, `Unsupported file type ${type}`, { message: MEDIA_ERRORS[131053]!.message })), true;
        if (bytes.length > limit) return answer(400, errorBody(131053, `File size ${bytes.length} exceeds the ${limit} byte limit for ${type}`, { message: MEDIA_ERRORS[131053]!.message })), true;
        const media = side.host({ bytes, mimeType: type, filename: (file as File).name || undefined });
        uploads.push(media);
        answer(200, { id: media.id });
        return true;
      }

      const retrieve = /^\/v\d+\.\d+\/(\d+)$/.exec(path);
      if (retrieve && method === 'GET') {
        if (!authorized) return answer(401, errorBody(190)), true;
        const failure = take('retrieve');
        if (failure) return fail(answer, errorBody, failure.code), true;
        const media = hosted.get(retrieve[1]!);
        if (!media) {
          answer(400, errorBody(100, undefined, { message: `Unsupported get request. Object with ID '${retrieve[1]}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`, error_subcode: 33 }));
          return true;
        }
        const token = randomBytes(12).toString('base64url');
        const expiresAt = Date.now() + ttl;
        urls.set(token, { mediaId: media.id, expiresAt });
        answer(200, {
          messaging_product: 'whatsapp',
          url: `${new URL(options.baseUrl()).origin}/download/${token}?mid=${media.id}&ext=${Math.floor(expiresAt / 1000)}`,
          mime_type: media.mimeType,
          sha256: media.sha256,
          file_size: String(media.bytes.length),
          id: media.id,
        });
        return true;
      }
      return false;
    },

    checkTemplateSend(template) {
      if (side.templates.length === 0) return null;
      const name = template['name'];
      const language = (template['language'] as Record<string, unknown> | undefined)?.['code'];
      const found = side.templates.find((t) => t.name === name && t.language === language && t.status === 'APPROVED');
      if (!found) return { code: 132001, details: `template name (${String(name)}) does not exist in ${String(language)}` };
      const given = (template['components'] as Record<string, unknown>[] | undefined) ?? [];
      for (const kind of ['HEADER', 'BODY'] as const) {
        const component = found.components.find((c) => c['type'] === kind);
        const expected = kind === 'HEADER' && component && component['format'] !== 'TEXT' ? 1 : placeholders(component?.['text']);
        const sent = given.find((c) => String(c['type']).toUpperCase() === kind);
        const count = Array.isArray(sent?.['parameters']) ? (sent['parameters'] as unknown[]).length : 0;
        if (count !== expected) return { code: 132000, details: `${kind.toLowerCase()}: number of localizable_params (${count}) does not match the expected number of params (${expected})` };
      }
      return null;
    },
  };
  return side;
}
