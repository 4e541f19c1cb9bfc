// Media rules: which files WhatsApp takes and how big (Meta's documented
// limits), and the one form the desk keeps a checksum in. Pure: no I/O.

export const MEDIA_STATUSES = ['PENDING', 'READY', 'FAILED'] as const;
export type MediaStatus = (typeof MEDIA_STATUSES)[number];

export type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

const MB = 1024 * 1024;
const KB = 1024;

interface KindRule {
  kind: MediaKind;
  mimeTypes: readonly string[];
  maxBytes: number;
  /** How the limit is named in an error ("image (jpeg, png): 5 MB"). */
  label: string;
}

/** Meta's limits for media sent through the Cloud API. Stickers have two: static and animated. */
export const MEDIA_RULES: readonly KindRule[] = [
  { kind: 'image', mimeTypes: ['image/jpeg', 'image/png'], maxBytes: 5 * MB, label: 'image (jpeg, png): 5 MB' },
  { kind: 'video', mimeTypes: ['video/mp4', 'video/3gpp'], maxBytes: 16 * MB, label: 'video (mp4, 3gpp): 16 MB' },
  {
    kind: 'audio',
    mimeTypes: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'],
    maxBytes: 16 * MB,
    label: 'audio (aac, amr, mpeg, mp4, ogg): 16 MB',
  },
  {
    kind: 'document',
    mimeTypes: [
      'application/pdf',
      'text/plain',
      'application/msword',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.ms-excel',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
    maxBytes: 100 * MB,
    label: 'document (pdf, txt, doc/docx, xls/xlsx, ppt/pptx): 100 MB',
  },
  { kind: 'sticker', mimeTypes: ['image/webp'], maxBytes: 500 * KB, label: 'sticker (webp): 100 KB static, 500 KB animated' },
];

export const STATIC_STICKER_MAX_BYTES = 100 * KB;

/** The largest file any kind allows: nothing bigger is downloaded or accepted. */
export const MAX_MEDIA_BYTES = Math.max(...MEDIA_RULES.map((r) => r.maxBytes));

/** "audio/ogg; codecs=opus" → "audio/ogg". */
export function baseMimeType(mimeType: string): string {
  return mimeType.split(';')[0]!.trim().toLowerCase();
}

export function formatSize(bytes: number): string {
  if (bytes >= MB) return `${(bytes / MB).toFixed(1).replace(/\.0$/, '')} MB`;
  if (bytes >= KB) return `${(bytes / KB).toFixed(1).replace(/\.0$/, '')} KB`;
  return `${bytes} bytes`;
}

/** An animated WebP carries an ANIM chunk (RIFF container, VP8X extended format). */
export function isAnimatedWebp(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 4096));
  return head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP' && head.includes('ANIM', 12, 'latin1');
}

export type UploadVerdict = { ok: true; kind: MediaKind; mimeType: string } | { ok: false; message: string };

/**
 * Whether WhatsApp takes this file, by its declared type and size; the
 * refusal names the limit. `bytes` lets a WebP sticker be told static or animated.
 */
export function checkUpload(mimeType: string, size: number, bytes?: Uint8Array): UploadVerdict {
  const type = baseMimeType(mimeType);
  const rule = MEDIA_RULES.find((r) => r.mimeTypes.includes(type));
  if (!rule) {
    const accepted = MEDIA_RULES.map((r) => r.label.split(':')[0]).join('; ');
    return { ok: false, message: `WhatsApp does not accept files of type "${type || 'unknown'}"; accepted: ${accepted}` };
  }
  if (size === 0) return { ok: false, message: 'the file is empty' };
  let max = rule.maxBytes;
  if (rule.kind === 'sticker' && bytes && !isAnimatedWebp(bytes)) max = STATIC_STICKER_MAX_BYTES;
  if (size > max) {
    const which = rule.kind === 'sticker' ? (max === STATIC_STICKER_MAX_BYTES ? 'a static sticker' : 'an animated sticker') : `${rule.kind === 'image' ? 'an' : 'a'} ${rule.kind}`;
    return { ok: false, message: `the file is ${formatSize(size)}; WhatsApp allows at most ${formatSize(max)} for ${which} (${rule.label})` };
  }
  return { ok: true, kind: rule.kind, mimeType: type };
}

/**
 * Meta gives a file's SHA-256 as base64 in webhooks and as hex in the media
 * lookup; the desk keeps lower-case hex. Null when the value is neither.
 */
export function sha256Hex(value: string | null | undefined): string | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return trimmed.toLowerCase();
  const bytes = Buffer.from(trimmed, 'base64');
  return bytes.length === 32 ? bytes.toString('hex') : null;
}

/** The message type a media kind is stored as. */
export function messageTypeOf(kind: MediaKind): 'IMAGE' | 'VIDEO' | 'AUDIO' | 'DOCUMENT' | 'STICKER' {
  return kind.toUpperCase() as 'IMAGE' | 'VIDEO' | 'AUDIO' | 'DOCUMENT' | 'STICKER';
}

export function kindOfMessageType(type: string): MediaKind | null {
  const kind = type.toLowerCase();
  return MEDIA_RULES.some((r) => r.kind === kind) ? (kind as MediaKind) : null;
}
