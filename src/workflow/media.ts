// Media both ways.
//
// Inbound: the webhook stores the message with `media.status: PENDING` and
// queues a download; the job asks the Cloud API for a short-lived URL, fetches
// it with the bearer token (a fresh URL when the old one expired: 404),
// checks the bytes against Meta's SHA-256, stores them and marks the media
// READY, or FAILED with the reason once retrying cannot help. PENDING in the
// store is the truth: start-up queues the downloads of whatever is still
// PENDING, so a crash between storing and downloading loses nothing.
//
// Outbound: sendMedia checks the file against Meta's limits, stores it (the
// desk's own view is served from that copy) and queues the message like any
// reply; the outbox uploads it (POST /{phone-number-id}/media) on its first
// try and then sends it by media id.
import { createHash } from 'node:crypto';
import { badInput } from '../domain/errors.js';
import { textProblem } from '../domain/text.js';
import { MAX_MEDIA_BYTES, checkUpload, kindOfMessageType, messageTypeOf, sha256Hex } from '../domain/media.js';
import type { AgentDoc, MessageDoc } from '../domain/model.js';
import { RetryableError } from '../jobs/port.js';
import { MEDIA_CAPTION_MAX, WhatsAppApiError } from '../whatsapp/cloudApi.js';
import { canSee, loadActionable } from './access.js';
import type { WorkflowDeps } from './deps.js';
import * as transitions from './transitions.js';
import { deskMessage } from './messageFactory.js';
import { queueOutbound } from './outbound.js';
import { noteReply } from './replies.js';

/** Files fetched at once per process: each holds up to 100 MB in memory while it is checked and stored. */
const DOWNLOAD_CONCURRENCY = 4;

export const MEDIA_DOWNLOAD_QUEUE = 'media.download';

function apiFailure(error: unknown): WhatsAppApiError | null {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof WhatsAppApiError) return current;
  }
  return null;
}

/** Worth another try: Meta's transient and throughput failures, and its own "media download error". */
function retryable(failure: WhatsAppApiError): boolean {
  return failure.retryable || failure.code === 131052;
}

class ChecksumMismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChecksumMismatch';
  }
}

export function registerMedia(deps: WorkflowDeps): void {
  const { whatsapp } = deps;
  deps.queue.register<{ messageId: string }>(
    MEDIA_DOWNLOAD_QUEUE,
    async ({ messageId }, ctx) => {
      const message = await deps.repos.messages.byId(messageId);
      const media = message?.media;
      if (!message || !media?.id || (media.status ?? 'PENDING') !== 'PENDING') return;
      if (!deps.sender) {
        await failMedia(deps, message, 'WhatsApp is not configured (WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_ACCESS_TOKEN): the file cannot be fetched');
        return;
      }
      try {
        const { bytes, mimeType } = await fetchVerified(deps, media.id, media.sha256);
        await deps.media.store.put(message._id, bytes);
        await transitions.markMediaReady(
          deps,
          message._id,
          { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), mimeType: media.mimeType ?? mimeType },
          deps.clock.now(),
        );
      } catch (error) {
        if (error instanceof ChecksumMismatch) {
          // A truncated or altered transfer: another download may well be whole.
          deps.logger.warn({ messageId, attempt: ctx.attempt }, error.message);
          throw new RetryableError(error.message);
        }
        const failure = apiFailure(error);
        if (!failure) throw error;
        deps.logger.warn({ messageId, attempt: ctx.attempt, code: failure.code, httpStatus: failure.httpStatus }, 'media download failed');
        if (retryable(failure)) {
          const retry = new RetryableError(failure.message, failure.retryAfterMs ?? undefined);
          retry.cause = failure;
          throw retry;
        }
        await failMedia(deps, message, failure.message);
      }
    },
    { attempts: deps.media.config.downloadAttempts, backoff: { baseMs: whatsapp.retryBaseMs, maxMs: whatsapp.retryMaxMs }, concurrency: DOWNLOAD_CONCURRENCY },
    async ({ messageId }, error) => {
      const message = await deps.repos.messages.byId(messageId);
      if (message) await failMedia(deps, message, `gave up after ${deps.media.config.downloadAttempts} tries: ${error.message}`);
    },
  );
}

/** GET /{media-id} then its URL; an expired URL (404) is looked up once more for a fresh one. */
async function fetchVerified(deps: WorkflowDeps, mediaId: string, webhookSha256: string | null): Promise<{ bytes: Buffer; mimeType: string | null }> {
  const sender = deps.sender!;
  let info = await sender.retrieveMedia(mediaId);
  let bytes: Buffer;
  try {
    bytes = await sender.downloadMedia(info.url, MAX_MEDIA_BYTES);
  } catch (error) {
    if (!(error instanceof WhatsAppApiError) || error.httpStatus !== 404) throw error;
    info = await sender.retrieveMedia(mediaId);
    bytes = await sender.downloadMedia(info.url, MAX_MEDIA_BYTES);
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  for (const [source, expected] of [
    ['the webhook', sha256Hex(webhookSha256)],
    ['the media lookup', sha256Hex(info.sha256)],
  ] as const) {
    if (expected && expected !== actual) throw new ChecksumMismatch(`downloaded file does not match the SHA-256 ${source} gave (${expected.slice(0, 12)}…, got ${actual.slice(0, 12)}…)`);
  }
  if (info.size !== null && info.size !== bytes.length) throw new ChecksumMismatch(`downloaded ${bytes.length} bytes; the media lookup said ${info.size}`);
  return { bytes, mimeType: info.mimeType };
}

async function failMedia(deps: WorkflowDeps, message: MessageDoc, reason: string): Promise<void> {
  await transitions.markMediaFailed(deps, message._id, reason, deps.clock.now());
}

export async function enqueueMediaDownload(deps: WorkflowDeps, message: MessageDoc): Promise<void> {
  if (message.direction !== 'INBOUND' || !message.media?.id || (message.media.status ?? 'PENDING') !== 'PENDING') return;
  await deps.queue.enqueue(MEDIA_DOWNLOAD_QUEUE, { messageId: message._id }, { jobId: `media-${message._id}` });
}

/** At start-up: downloads that a stop interrupted, from what the store says is still PENDING. */
export async function recoverMediaDownloads(deps: WorkflowDeps): Promise<number> {
  const pending = await deps.repos.messages.pendingMedia();
  for (const message of pending) await enqueueMediaDownload(deps, message);
  return pending.length;
}

// ---------------------------------------------------------------------------
// Outbound

export interface MediaUpload {
  bytes: Buffer;
  mimeType: string;
  filename: string;
}

export async function sendMedia(deps: WorkflowDeps, viewer: AgentDoc, conversationId: string, file: MediaUpload, givenCaption: string | null): Promise<MessageDoc> {
  const conversation = await loadActionable(deps, viewer, conversationId);
  const verdict = checkUpload(file.mimeType, file.bytes.length, file.bytes);
  if (!verdict.ok) throw badInput(verdict.message, 'file');
  // An empty caption field is no caption; one of only spaces or invisible characters would reach the customer as nothing.
  const caption = givenCaption === '' ? null : givenCaption;
  if (caption !== null) {
    const problem = textProblem(caption, MEDIA_CAPTION_MAX, 'the caption');
    if (problem) throw badInput(problem, 'caption');
    if (verdict.kind === 'audio' || verdict.kind === 'sticker') throw badInput(`WhatsApp shows no caption on ${verdict.kind} messages`, 'caption');
  }
  const filename = file.filename.replace(/[\\/\r\n]/g, '_').slice(0, 240) || 'file';
  const now = deps.clock.now();
  const draft = deskMessage({ conversation, author: 'AGENT', agentId: viewer._id, type: messageTypeOf(verdict.kind), text: caption, now });
  draft.media = {
    id: null,
    mimeType: verdict.mimeType,
    sha256: createHash('sha256').update(file.bytes).digest('hex'),
    caption,
    filename,
    voice: null,
    status: 'READY',
    size: file.bytes.length,
    failureReason: null,
  };
  // The desk's copy first: once the message is queued, the outbox can always upload it.
  return noteReply(deps, conversation, viewer._id, now, async () => {
    await deps.media.store.put(draft._id, file.bytes);
    return queueOutbound(deps, draft);
  });
}

/**
 * For the outbox: the media id an outbound file is sent by, uploading the
 * desk's copy on the first try (later tries reuse the stored id).
 */
export async function uploadedMediaId(deps: WorkflowDeps, message: MessageDoc): Promise<string> {
  const media = message.media;
  if (!media) throw new Error(`message ${message._id} has no media`);
  if (media.id) return media.id;
  const stored = await deps.media.store.get(message._id);
  if (!stored) throw new Error(`the file of message ${message._id} is missing from the media store`);
  const chunks: Buffer[] = [];
  for await (const chunk of stored.stream()) chunks.push(chunk as Buffer);
  const { mediaId } = await deps.sender!.uploadMedia({ bytes: Buffer.concat(chunks), mimeType: media.mimeType ?? 'application/octet-stream', filename: media.filename ?? 'file' });
  await deps.repos.messages.setMediaId(message._id, mediaId, deps.clock.now());
  return mediaId;
}

/** The outbox's send of a media message: by media id, caption and filename where WhatsApp shows them. */
export async function sendStoredMedia(deps: WorkflowDeps, message: MessageDoc, to: string): Promise<{ whatsappId: string }> {
  const kind = kindOfMessageType(message.type);
  if (!kind) throw new Error(`cannot send a ${message.type} message as media`);
  const mediaId = await uploadedMediaId(deps, message);
  return deps.sender!.sendMedia(to, kind, mediaId, {
    ...(message.media?.caption ? { caption: message.media.caption } : {}),
    ...(kind === 'document' && message.media?.filename ? { filename: message.media.filename } : {}),
  });
}

// ---------------------------------------------------------------------------
// Serving

export type MediaAccess =
  | { kind: 'ok'; message: MessageDoc; size: number; stream: () => NodeJS.ReadableStream }
  | { kind: 'not_found' }
  | { kind: 'not_ready'; status: string; reason: string | null };

/** What an agent may download: a stored file of a message in a conversation they may see now. */
export async function mediaFor(deps: WorkflowDeps, agentId: string, messageId: string): Promise<MediaAccess> {
  const agent = await deps.repos.agents.byId(agentId);
  const message = await deps.repos.messages.byId(messageId);
  if (!agent || (agent as { active?: boolean }).active === false || !message?.media) return { kind: 'not_found' };
  const conversation = await deps.repos.conversations.byId(message.conversationId);
  if (!conversation || !canSee(agent, conversation)) return { kind: 'not_found' };
  const status = message.media.status ?? 'PENDING';
  if (status !== 'READY') return { kind: 'not_ready', status, reason: message.media.failureReason ?? null };
  const stored = await deps.media.store.get(message._id);
  if (!stored) return { kind: 'not_ready', status: 'MISSING', reason: 'the file is not in the media store' };
  return { kind: 'ok', message, size: stored.size, stream: stored.stream };
}
