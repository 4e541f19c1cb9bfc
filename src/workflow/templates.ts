// The template catalog: synced from Meta (every page of
// GET /{waba-id}/message_templates) at start-up, every TEMPLATE_SYNC_INTERVAL
// and on demand; kept live between syncs by the
// `message_template_status_update` webhook. sendTemplate checks a send
// against it before anything is queued.
import { DeskError, badInput } from '../domain/errors.js';
import { jsonBytes } from '../domain/text.js';
import type { AgentDoc, MessageDoc } from '../domain/model.js';
import { TemplateParameterError, checkTemplateParameters, renderTemplate, type TemplateDoc } from '../domain/templates.js';
import { RetryableError } from '../jobs/port.js';
import { WhatsAppApiError, type CatalogTemplate } from '../whatsapp/cloudApi.js';
import { loadActionable } from './access.js';
import type { WorkflowDeps } from './deps.js';
import { deskMessage } from './messageFactory.js';
import { queueOutbound } from './outbound.js';

export const TEMPLATE_SYNC_QUEUE = 'templates.sync';

/** A template's components, serialized: generous for any real template (Meta caps each parameter far lower), small for an attack. */
export const MAX_TEMPLATE_COMPONENTS_BYTES = 16 * 1024;

/** A runaway `paging.next` (a cursor that never ends) stops here. */
const MAX_PAGES = 200;
/** A failed catalog sync is retried a few times with the WhatsApp backoff; the next TEMPLATE_SYNC_INTERVAL tries again anyway. */
const SYNC_ATTEMPTS = 5;
/** One sync at a time: two would page through the same catalog and race to drop what the other has not seen yet. */
const SYNC_CONCURRENCY = 1;

export function catalogConfigured(deps: WorkflowDeps): boolean {
  return deps.whatsapp.businessAccountId !== null && deps.sender !== null;
}

/** Reads every page, then makes the stored catalog exactly that list. */
export async function syncTemplates(deps: WorkflowDeps): Promise<{ templates: number; removed: number }> {
  const wabaId = deps.whatsapp.businessAccountId;
  if (!wabaId || !deps.sender) {
    throw new DeskError('WHATSAPP_NOT_CONFIGURED', 'the template catalog needs WHATSAPP_BUSINESS_ACCOUNT_ID, WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_ACCESS_TOKEN');
  }
  const listed: CatalogTemplate[] = [];
  const seen = new Set<string>();
  let after: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await deps.sender.listTemplates(wabaId, after);
    listed.push(...result.templates);
    if (!result.after || seen.has(result.after)) break;
    seen.add(result.after);
    after = result.after;
  }
  const { removed } = await deps.repos.templates.replaceCatalog(listed, deps.clock.now());
  deps.logger.info({ templates: listed.length, removed }, 'template catalog synced');
  return { templates: listed.length, removed };
}

export function registerTemplates(deps: WorkflowDeps): void {
  deps.queue.register<{ reason: string }>(
    TEMPLATE_SYNC_QUEUE,
    async ({ reason }) => {
      if (!catalogConfigured(deps)) return;
      try {
        await syncTemplates(deps);
      } catch (error) {
        if (error instanceof WhatsAppApiError && error.retryable) throw new RetryableError(error.message, error.retryAfterMs ?? undefined);
        deps.logger.error({ err: error, reason }, 'template catalog sync failed');
        throw error;
      }
    },
    { attempts: SYNC_ATTEMPTS, backoff: { baseMs: deps.whatsapp.retryBaseMs, maxMs: deps.whatsapp.retryMaxMs }, concurrency: SYNC_CONCURRENCY },
  );
}

/**
 * Queues a sync. The job id is the interval slot, so several instances
 * sharing a queue (BullMQ) sync once per interval between them.
 */
export async function scheduleTemplateSync(deps: WorkflowDeps, reason: string): Promise<void> {
  if (!catalogConfigured(deps)) return;
  const slot = Math.floor(deps.clock.now().getTime() / deps.whatsapp.templateSyncIntervalMs);
  await deps.queue.enqueue(TEMPLATE_SYNC_QUEUE, { reason }, { jobId: `templates-${reason}-${slot}` });
}

export interface TemplateStatusInput {
  name: string;
  language: string;
  status: string;
  reason: string | null;
}

/** Meta's status webhook; a template the catalog does not know yet makes the desk sync. */
export async function receiveTemplateStatus(deps: WorkflowDeps, input: TemplateStatusInput): Promise<TemplateDoc | null> {
  const updated = await deps.repos.templates.setStatus(input.name, input.language, input.status, input.reason, deps.clock.now());
  if (!updated) {
    deps.logger.info({ name: input.name, language: input.language }, 'status of a template not in the catalog: syncing');
    await scheduleTemplateSync(deps, `unknown-${input.name}-${input.language}-${Date.now()}`);
  }
  return updated;
}

/**
 * Templates are allowed in or out of the 24-hour window. With a catalog, the
 * template must exist in that language, be APPROVED, and get one parameter
 * per placeholder; the stored message keeps the text the customer sees.
 */
export async function sendTemplate(
  deps: WorkflowDeps,
  viewer: AgentDoc,
  input: { conversationId: string; name: string; language: string; components: unknown },
): Promise<MessageDoc> {
  const conversation = await loadActionable(deps, viewer, input.conversationId);
  if (!deps.sender) throw new DeskError('WHATSAPP_NOT_CONFIGURED', 'WhatsApp sending is not configured: set WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_ACCESS_TOKEN');
  if (!/^[a-z0-9_]{1,512}$/.test(input.name)) throw badInput('template name must be lower-case letters, digits and underscores', 'name');
  if (!/^[a-z]{2,3}(_[A-Z]{2})?$/.test(input.language)) throw badInput('language must be a code like "en" or "en_US"', 'language');
  if (input.components != null && !Array.isArray(input.components)) throw badInput('components must be a JSON array', 'components');
  if (input.components != null && jsonBytes(input.components) > MAX_TEMPLATE_COMPONENTS_BYTES) {
    throw badInput(`components are ${jsonBytes(input.components)} bytes serialized; at most ${MAX_TEMPLATE_COMPONENTS_BYTES} are allowed`, 'components');
  }

  let text = `[template ${input.name}]`;
  if (catalogConfigured(deps)) {
    const template = await deps.repos.templates.find(input.name, input.language);
    if (!template) {
      const others = (await deps.repos.templates.list({ search: input.name })).filter((t) => t.name === input.name).map((t) => t.language);
      const hint = others.length ? `; it exists in ${others.join(', ')}` : '';
      throw badInput(`template "${input.name}" does not exist in language ${input.language}${hint}`, others.length ? 'language' : 'name');
    }
    if (template.status !== 'APPROVED') throw badInput(`template "${input.name}" (${input.language}) is ${template.status}; only APPROVED templates can be sent`, 'name');
    try {
      checkTemplateParameters(template, input.components);
    } catch (error) {
      if (error instanceof TemplateParameterError) throw badInput(`template "${input.name}" (${input.language}): ${error.message}`, 'components');
      throw error;
    }
    text = renderTemplate(template, input.components);
  }

  const now = deps.clock.now();
  return queueOutbound(
    deps,
    deskMessage({
      conversation,
      author: 'AGENT',
      agentId: viewer._id,
      type: 'TEMPLATE',
      text,
      payload: { name: input.name, language: input.language, components: (input.components as unknown[] | null) ?? [] },
      now,
    }),
  );
}
