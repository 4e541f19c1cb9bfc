// The use cases, assembled once from their dependencies. GraphQL resolvers,
// the WhatsApp webhook and plugins all come through here.
import { DeskError, forbidden, notFound, unavailable } from '../domain/errors.js';
import { WhatsAppApiError } from '../whatsapp/cloudApi.js';
import type { AgentDoc, AgentStatus } from '../domain/model.js';
import type { DeadLetter } from '../jobs/port.js';
import type { DeskApi } from '../plugins/contract.js';
import {
  createAgent,
  deactivateAgent,
  reactivateAgent,
  revokeSockets,
  rotateAgentToken,
  setAgentStatus,
  updateAgent,
  type CreateAgentInput,
  type UpdateAgentInput,
} from './agents.js';
import { createCannedResponse, deleteCannedResponse, listCannedResponses, updateCannedResponse } from './cannedResponses.js';
import { authenticate, changePassword, signIn, signOut } from './sessions.js';
import { assignByPolicy, assignTo, claim, release, transfer } from './assignment.js';
import { authorizeMetrics, findVisible, loadVisible, type MetricsQuery, type Viewer } from './access.js';
import type { WorkflowDeps } from './deps.js';
import { enqueueFollowUp, registerFollowUp } from './followUp.js';
import { ingestInbound, type InboundInput } from './inbound.js';
import { registerOutbound, retryDeadSend, SEND_QUEUE, sendDeadLetters } from './outbound.js';
import { startSweeper } from './sweep.js';
import { addNote, markConversationRead, postIntegrationReply, sendReply } from './replies.js';
import { inboxQuery, listConversations, type InboxFilter } from './inbox.js';
import { addLabels, removeLabels } from './labels.js';
import type { ConversationOrder } from '../store/repositories/conversations.js';
import type { CursorPage } from '../store/repositories/paging.js';
import { queueStats } from './queueStats.js';
import { TIMELINE_EVENT_TYPES, toTimelineEntry, type TimelineEntry } from './timeline.js';
import { enqueueMediaDownload, mediaFor, recoverMediaDownloads, registerMedia, sendMedia, type MediaUpload } from './media.js';
import { receiveTemplateStatus, registerTemplates, scheduleTemplateSync, sendTemplate, syncTemplates, type TemplateStatusInput } from './templates.js';
import { reopenAsAgent, reopenConversation, requireConversation, resolveAsAgent, resolveConversation } from './resolution.js';
import { keyedSerializer } from './serial.js';
import { feedbackHistory } from './feedback.js';
import { ingestStatus, type StatusInput } from './statuses.js';

export type { WorkflowDeps } from './deps.js';
export type { InboundInput } from './inbound.js';
export type { StatusInput } from './statuses.js';

export function createWorkflow(deps: WorkflowDeps) {
  registerOutbound(deps);
  registerFollowUp(deps);
  registerMedia(deps);
  registerTemplates(deps);
  const perCustomer = keyedSerializer();
  let sweeper: ReturnType<typeof startSweeper> | null = null;

  return {
    deps,

    async receiveMessage(input: InboundInput) {
      const result = await deps.batch(() => perCustomer(input.from, () => ingestInbound(deps, input)));
      // The wake does not hold the webhook's 200: the conversation is stored and
      // the sweep finishes a lost wake, while awaiting it made each new
      // customer's acknowledgement wait for a Redis round-trip (BullMQ's add).
      if (result.followUp) void enqueueFollowUp(deps, result.followUp);
      if (result.message) await enqueueMediaDownload(deps, result.message);
      return result;
    },
    receiveStatus: (input: StatusInput) => deps.batch(() => ingestStatus(deps, input)),
    receiveTemplateStatus: (input: TemplateStatusInput) => receiveTemplateStatus(deps, input),
    syncTemplates: () =>
      syncTemplates(deps).catch((error: unknown) => {
        if (error instanceof WhatsAppApiError) throw new DeskError('UNAVAILABLE', `the template catalog could not be read from WhatsApp: ${error.message}`);
        throw error;
      }),
    scheduleTemplateSync: (reason: string) => scheduleTemplateSync(deps, reason),

    createAgent: (input: CreateAgentInput) => createAgent(deps, input),
    setAgentStatus: (viewer: AgentDoc, status: AgentStatus, agentId: string | null = null) => setAgentStatus(deps, viewer, status, agentId),
    updateAgent: (viewer: AgentDoc, agentId: string, input: UpdateAgentInput) => updateAgent(deps, viewer, agentId, input),
    deactivateAgent: (viewer: AgentDoc, agentId: string) => deactivateAgent(deps, viewer, agentId),
    reactivateAgent: (agentId: string) => reactivateAgent(deps, agentId),
    rotateAgentToken: (viewer: AgentDoc, agentId: string) => rotateAgentToken(deps, viewer, agentId),

    authenticate: (token: string) => authenticate(deps, token),
    signIn: (email: string, password: string) => signIn(deps, email, password),
    signOut: (viewer: AgentDoc, token: string | null) => signOut(deps, viewer, token),
    changePassword: (viewer: AgentDoc, currentPassword: string, newPassword: string, token: string | null) =>
      changePassword(deps, viewer, currentPassword, newPassword, token),

    cannedResponses: (search: string | null) => listCannedResponses(deps, search),
    createCannedResponse: (viewer: AgentDoc, input: { shortcut: string; text: string }) => createCannedResponse(deps, viewer, input),
    updateCannedResponse: (id: string, input: { shortcut?: string | null; text?: string | null }) => updateCannedResponse(deps, id, input),
    deleteCannedResponse: (id: string) => deleteCannedResponse(deps, id),
    /** Closes, on every instance, the agent's graphql-ws sockets whose credentials stopped working. */
    revokeSockets: (agentId: string) => revokeSockets(deps, agentId),

    async assignConversation(viewer: AgentDoc, conversationId: string, agentId: string | null) {
      if (viewer.role !== 'ADMIN') {
        // Someone else's conversation is answered as a missing one, whatever was asked.
        await loadVisible(deps, viewer, conversationId);
        if (agentId && agentId !== viewer._id) throw forbidden('agents can only claim conversations for themselves; hand one over with transferConversation');
        return claim(deps, conversationId, viewer._id);
      }
      if (agentId) return assignTo(deps, conversationId, agentId, viewer._id);
      const conversation = await requireConversation(deps, conversationId);
      return (await assignByPolicy(deps, conversation)) ?? (await requireConversation(deps, conversationId));
    },

    sendReply: (viewer: AgentDoc, conversationId: string, text: string) => sendReply(deps, viewer, conversationId, text),
    sendTemplate: (viewer: AgentDoc, input: Parameters<typeof sendTemplate>[2]) => sendTemplate(deps, viewer, input),
    sendMedia: (viewer: AgentDoc, conversationId: string, file: MediaUpload, caption: string | null) => sendMedia(deps, viewer, conversationId, file, caption),
    mediaFor: (agentId: string, messageId: string) => mediaFor(deps, agentId, messageId),
    addNote: (viewer: AgentDoc, conversationId: string, text: string) => addNote(deps, viewer, conversationId, text),
    resolve: (viewer: AgentDoc, conversationId: string, sendSurvey: boolean) => resolveAsAgent(deps, viewer, conversationId, sendSurvey),
    reopen: (viewer: AgentDoc, conversationId: string) => reopenAsAgent(deps, viewer, conversationId),
    /** The conversation, or null when it does not exist or the viewer may not see it (one answer for both). */
    visibleConversation: (viewer: Viewer, conversationId: string) => findVisible(deps, viewer, conversationId),
    /** The metrics query this viewer may run, or an error saying why not (an agent that does not exist is NOT_FOUND, not zeros). */
    async authorizeMetrics(viewer: Viewer, query: MetricsQuery): Promise<MetricsQuery> {
      const allowed = authorizeMetrics(viewer, query);
      if (allowed.agentId && !(await deps.repos.agents.byId(allowed.agentId))) throw notFound('agent', allowed.agentId);
      return allowed;
    },
    transferConversation: (viewer: AgentDoc, conversationId: string, agentId: string, note: string | null) => transfer(deps, viewer, conversationId, agentId, note),
    releaseConversation: (viewer: AgentDoc, conversationId: string) => release(deps, viewer, conversationId),
    markConversationRead: (viewer: AgentDoc, conversationId: string) => markConversationRead(deps, viewer, conversationId),
    addLabels: (viewer: AgentDoc, conversationId: string, labels: string[]) => addLabels(deps, viewer, conversationId, labels),
    removeLabels: (viewer: AgentDoc, conversationId: string, labels: string[]) => removeLabels(deps, viewer, conversationId, labels),

    /** The viewer's inbox: one query for the page, its total and its label counts. */
    inbox: (viewer: AgentDoc, filter: InboxFilter | null | undefined) => inboxQuery(deps, viewer, filter),
    conversationPage: (query: Awaited<ReturnType<typeof inboxQuery>>, order: ConversationOrder, page: CursorPage) => listConversations(deps, query, order, page),
    queueStats: () => queueStats(deps),
    /** A customer, for whoever may see at least one of their conversations. */
    async customerFor(viewer: AgentDoc, customerId: string) {
      const customer = await deps.repos.customers.byId(customerId);
      if (!customer) return null;
      if (viewer.role === 'ADMIN') return customer;
      return (await deps.repos.conversations.count(await inboxQuery(deps, viewer, { customerId }))) > 0 ? customer : null;
    },
    /** Every cycle's survey answer, oldest first. */
    feedbackHistory: (conversationId: string) => feedbackHistory(deps, conversationId),
    async timeline(conversationId: string, page: CursorPage): Promise<TimelineEntry[]> {
      const entries = await deps.repos.eventLog.page(conversationId, TIMELINE_EVENT_TYPES, page);
      return entries.map(toTimelineEntry).filter((entry): entry is TimelineEntry => entry !== null);
    },

    /** The narrow desk API a plugin gets (DESIGN.md "Plugins"). */
    deskApiFor(plugin: string): DeskApi {
      return {
        async postReply(conversationId, text, options) {
          const message = await postIntegrationReply(deps, plugin, await requireConversation(deps, conversationId), text, options?.authorName ?? null);
          return { messageId: message._id };
        },
        async resolveConversation(conversationId) {
          await resolveConversation(deps, await requireConversation(deps, conversationId), { sendSurvey: true, by: `plugin:${plugin}` });
        },
        async reopenConversation(conversationId) {
          await reopenConversation(deps, await requireConversation(deps, conversationId), `plugin:${plugin}`);
        },
        async linkConversation(conversationId, link) {
          const linked = await deps.repos.conversations.link(conversationId, { system: plugin, externalId: link.externalId, url: link.url ?? null }, deps.clock.now());
          if (!linked) throw notFound('conversation', conversationId);
        },
        async findConversationByExternalId(externalId) {
          const found = await deps.repos.conversations.byExternalId(plugin, externalId);
          return found ? { id: found._id, status: found.status, waId: found.waId } : null;
        },
      };
    },

    /** Starts the periodic outbox sweep after one pass with no grace (what a previous run left behind). */
    async startSweeping() {
      sweeper ??= startSweeper(deps);
      // Inbound files still PENDING (a stop between storing and downloading) are fetched again.
      await recoverMediaDownloads(deps);
      return sweeper.runOnce(0);
    },
    /** One sweep pass now (tests, and operators through startSweeping). */
    sweepNow: (graceMs = 0) => (sweeper ??= startSweeper(deps)).runOnce(graceMs),
    stopSweeping() {
      sweeper?.stop();
    },

    /** Dead letters: sends from the store (the outbox's truth), anything else from the job runner. */
    async deadLetters(queue?: string): Promise<DeadLetter[]> {
      const fromStore = queue === undefined || queue === SEND_QUEUE ? await sendDeadLetters(deps) : [];
      const fromRunner = await deps.queue.deadLetters(queue).catch((error: unknown) => {
        throw unavailable('the job queue', error);
      });
      return [...fromStore, ...fromRunner].sort((a, b) => a.failedAt.getTime() - b.failedAt.getTime());
    },
    async retryDeadLetter(queue: string, id: string): Promise<boolean> {
      if (queue === SEND_QUEUE && (await retryDeadSend(deps, id))) return true;
      return deps.queue.retryDeadLetter(queue, id).catch((error: unknown) => {
        throw unavailable('the job queue', error);
      });
    },
  };
}

export type Workflow = ReturnType<typeof createWorkflow>;
