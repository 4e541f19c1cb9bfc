import type { ConversationDoc, ConversationStatus, CustomerDoc, ExternalLink, Feedback, SurveyState } from '../../domain/model.js';
import { allowedFrom, targetOf } from '../../domain/lifecycle.js';
import { COLLECTIONS } from '../collections.js';
import { newId } from '../ids.js';
import { DuplicateKeyError, type Filter, type Store } from '../port.js';
import { keysetQuery, type KeysetPage } from './paging.js';

export interface ConversationQuery {
  status?: ConversationStatus[] | null;
  assigneeId?: string | null;
  /** Digits only, as WhatsApp ids are stored. */
  customerWaId?: string | null;
  customerId?: string | null;
  /** Agents see their own conversations, the ones they handled and the queue. */
  visibleToAgentId?: string | null;
  /** Conversations carrying every one of these labels. */
  labels?: string[] | null;
  unread?: boolean | null;
  /** A search already resolved to what matched: customers (by name), conversations (by message text), a number fragment. */
  search?: { customerIds: string[]; conversationIds: string[]; waIdDigits: string | null } | null;
}

/** The inbox orders: newest activity first, or newest opening first. */
export type ConversationOrder = 'LAST_ACTIVITY' | 'OPENED';
export const ORDER_FIELD: Record<ConversationOrder, 'lastActivityAt' | 'openedAt'> = { LAST_ACTIVITY: 'lastActivityAt', OPENED: 'openedAt' };

/** Agents see the conversations they hold, the ones they held before, and the queue. */
export function visibleToAgent(agentId: string): Filter {
  return { $or: [{ assigneeId: agentId }, { status: 'QUEUED' }, { handlerIds: agentId }] };
}

export function conversationRepository(store: Store) {
  const conversations = store.collection<ConversationDoc>(COLLECTIONS.conversations);

  const toFilter = (query: ConversationQuery): Filter => {
    const and: Filter[] = [];
    if (query.status?.length) and.push({ status: { $in: query.status } });
    if (query.assigneeId) and.push({ assigneeId: query.assigneeId });
    if (query.customerWaId) and.push({ waId: query.customerWaId });
    if (query.customerId) and.push({ customerId: query.customerId });
    if (query.visibleToAgentId) and.push(visibleToAgent(query.visibleToAgentId));
    if (query.labels?.length) and.push({ labels: { $all: query.labels } });
    if (query.unread === true) and.push({ unreadCount: { $gt: 0 } });
    if (query.unread === false) and.push({ unreadCount: { $not: { $gt: 0 } } });
    if (query.search) {
      const { customerIds, conversationIds, waIdDigits } = query.search;
      const any: Filter[] = [];
      if (customerIds.length) any.push({ customerId: { $in: customerIds } });
      if (conversationIds.length) any.push({ _id: { $in: conversationIds } });
      if (waIdDigits) any.push({ waId: { $regex: waIdDigits.replace(/\D/g, '') } });
      // Nothing matched: a filter no document passes.
      and.push(any.length ? { $or: any } : { _id: { $in: [] } });
    }
    return and.length ? { $and: and } : {};
  };

  return {
    byId: (id: string) => conversations.findOne({ _id: id }),
    byIds: (ids: string[]) => conversations.find({ _id: { $in: ids } }),
    open: (customerId: string) => conversations.findOne({ activeKey: customerId }),
    latestFor: (customerId: string) => conversations.findOne({ customerId }, { sort: { _id: -1 } }),
    byExternalId: (system: string, externalId: string) =>
      conversations.findOne({ externalLinks: { $elemMatch: { system, externalId } } }),

    /** Newest first by the order's field, `_id` breaking ties. */
    page(query: ConversationQuery, order: ConversationOrder, page: KeysetPage) {
      const { filter, options } = keysetQuery(toFilter(query), ORDER_FIELD[order], -1, page);
      return conversations.find(filter, options);
    },
    count: (query: ConversationQuery) => conversations.countDocuments(toFilter(query)),
    /** The oldest waiting conversation: the queue drains in this order. */
    oldestQueued: () => conversations.findOne({ status: 'QUEUED' }, { sort: { cycleStartedAt: 1, _id: 1 } }),
    assignedTo: (agentId: string) => conversations.find({ status: 'ASSIGNED', assigneeId: agentId }, { sort: { _id: 1 } }),

    /**
     * Opens a conversation for the customer, or returns the one that is
     * already open: the unique `activeKey` makes this safe across instances.
     */
    async openFor(customer: CustomerDoc, at: Date): Promise<{ conversation: ConversationDoc; created: boolean }> {
      const doc: ConversationDoc = {
        _id: newId(at.getTime()),
        customerId: customer._id,
        waId: customer.waId,
        status: 'QUEUED',
        activeKey: customer._id,
        assigneeId: null,
        previousAssigneeId: null,
        cycle: 1,
        openedAt: at,
        cycleStartedAt: at,
        firstResponseAt: null,
        resolvedAt: null,
        assignedAt: null,
        lastCustomerMessageAt: null,
        lastMessageAt: null,
        lastMessageId: null,
        lastActivityAt: at,
        lastCustomerMessageId: null,
        unreadCount: 0,
        labels: [],
        handlerIds: [],
        greetingSentAt: null,
        survey: null,
        feedback: null,
        externalLinks: [],
        createdAt: at,
        updatedAt: at,
      };
      try {
        return { conversation: await conversations.insertOne(doc), created: true };
      } catch (error) {
        if (!(error instanceof DuplicateKeyError)) throw error;
        const existing = await conversations.findOne({ activeKey: customer._id });
        if (!existing) throw error;
        return { conversation: existing, created: false };
      }
    },

    /** $max: a late-arriving older message never moves the 24-hour window backwards. */
    recordCustomerMessage: (id: string, messageId: string, customerTime: Date, now: Date) =>
      conversations.findOneAndUpdate(
        { _id: id },
        {
          $max: { lastCustomerMessageAt: customerTime, lastMessageAt: now, lastActivityAt: now },
          $set: { lastMessageId: messageId, lastCustomerMessageId: messageId, updatedAt: now },
          $inc: { unreadCount: 1 },
        },
        { returnDocument: 'after' },
      ),

    recordDeskMessage: (id: string, messageId: string, now: Date) =>
      conversations.findOneAndUpdate(
        { _id: id },
        { $max: { lastMessageAt: now, lastActivityAt: now }, $set: { lastMessageId: messageId, updatedAt: now } },
        { returnDocument: 'after' },
      ),

    /** An agent read it: nothing unread. Null when there was nothing to mark. */
    markRead: (id: string, now: Date) =>
      conversations.findOneAndUpdate({ _id: id, unreadCount: { $gt: 0 } }, { $set: { unreadCount: 0, updatedAt: now } }, { returnDocument: 'after' }),

    addLabels: (id: string, labels: string[], now: Date) =>
      conversations.findOneAndUpdate({ _id: id }, { $addToSet: { labels: { $each: labels } }, $set: { updatedAt: now } }, { returnDocument: 'after' }),

    removeLabels: (id: string, labels: string[], now: Date) =>
      conversations.findOneAndUpdate({ _id: id }, { $pull: { labels: { $in: labels } }, $set: { updatedAt: now } }, { returnDocument: 'after' }),

    /** Every label in use among the conversations the query selects, with how many carry it, most used first. */
    labelCounts: (query: ConversationQuery) =>
      conversations.aggregate<{ _id: string; count: number }>([
        { $match: toFilter(query) },
        { $unwind: '$labels' },
        { $group: { _id: '$labels', count: { $sum: 1 } } },
        { $sort: { count: -1, _id: 1 } },
      ]),

    /** Claims the greeting slot: only the first caller per conversation gets the document back. */
    /** Open first cycles never greeted, opened before `openedBefore`: the follow-up sweep greets them. */
    owedGreeting: (openedBefore: Date, limit: number) =>
      conversations.find(
        { status: { $in: ['QUEUED', 'ASSIGNED'] }, cycle: 1, greetingSentAt: null, openedAt: { $lte: openedBefore } },
        { sort: { openedAt: 1, _id: 1 }, limit },
      ),

    claimGreeting: (id: string, now: Date) =>
      conversations.findOneAndUpdate({ _id: id, greetingSentAt: null }, { $set: { greetingSentAt: now } }, { returnDocument: 'after' }),

    /** QUEUED → ASSIGNED (or a transfer between agents when `fromAgentId` is given). */
    assign(id: string, agentId: string, now: Date, fromAgentId?: string | null) {
      const precondition: Filter = fromAgentId
        ? { _id: id, status: { $in: allowedFrom('transfer') }, assigneeId: fromAgentId }
        : { _id: id, status: { $in: allowedFrom('assign') } };
      return conversations.findOneAndUpdate(
        precondition,
        { $set: { status: targetOf('assign'), assigneeId: agentId, assignedAt: now, updatedAt: now }, $addToSet: { handlerIds: agentId } },
        { returnDocument: 'after' },
      );
    },

    requeue: (id: string, fromAgentId: string, now: Date) =>
      conversations.findOneAndUpdate(
        { _id: id, status: { $in: allowedFrom('requeue') }, assigneeId: fromAgentId },
        { $set: { status: targetOf('requeue'), assigneeId: null, previousAssigneeId: fromAgentId, assignedAt: null, updatedAt: now } },
        { returnDocument: 'after' },
      ),

    /** The assignee stays (whose resolution it was, and whose capacity to free): only ASSIGNED conversations have one. */
    resolve: (id: string, now: Date, surveyOwed = false) =>
      conversations.findOneAndUpdate(
        { _id: id, status: { $in: allowedFrom('resolve') } },
        {
          $set: {
            status: targetOf('resolve'),
            resolvedAt: now,
            activeKey: null,
            updatedAt: now,
            // Recorded with the resolution itself, so a crash before the survey is stored cannot lose it.
            ...(surveyOwed ? { survey: { owedAt: now, sentAt: null, messageId: null, skippedReason: null, ratedAt: null, thankedAt: null } } : {}),
          },
        },
        { returnDocument: 'after' },
      ),

    /** Takes an owed survey: only one caller (the resolution or the sweep) gets the document. */
    claimSurvey: (id: string, now: Date) =>
      conversations.findOneAndUpdate(
        { _id: id, status: 'RESOLVED', 'survey.owedAt': { $ne: null } },
        { $set: { 'survey.owedAt': null, updatedAt: now } },
        { returnDocument: 'after' },
      ),

    /** Resolved conversations still owed their survey since before `owedBefore`. */
    owedSurvey: (owedBefore: Date, limit: number) =>
      conversations.find({ status: 'RESOLVED', 'survey.owedAt': { $ne: null, $lte: owedBefore } }, { sort: { resolvedAt: 1, _id: 1 }, limit }),

    /** RESOLVED → QUEUED, a new cycle. Throws DuplicateKeyError when the customer already has another open conversation. */
    reopen: (conversation: ConversationDoc, now: Date) =>
      conversations.findOneAndUpdate(
        { _id: conversation._id, status: { $in: allowedFrom('reopen') }, cycle: conversation.cycle },
        {
          $set: {
            status: targetOf('reopen'),
            activeKey: conversation.customerId,
            previousAssigneeId: conversation.assigneeId,
            assigneeId: null,
            assignedAt: null,
            cycleStartedAt: now,
            lastActivityAt: now,
            firstResponseAt: null,
            resolvedAt: null,
            survey: null,
            updatedAt: now,
          },
          $inc: { cycle: 1 },
        },
        { returnDocument: 'after' },
      ),

    /** Only the first human reply of a cycle gets the document back. */
    markFirstResponse: (id: string, at: Date) =>
      conversations.findOneAndUpdate({ _id: id, firstResponseAt: null }, { $set: { firstResponseAt: at, updatedAt: at } }, { returnDocument: 'after' }),

    setSurvey: (id: string, survey: SurveyState, now: Date) =>
      conversations.findOneAndUpdate({ _id: id }, { $set: { survey, updatedAt: now } }, { returnDocument: 'after' }),

    /** The rating is taken once per survey. */
    recordRating: (id: string, feedback: Feedback, now: Date) =>
      conversations.findOneAndUpdate(
        { _id: id, 'survey.sentAt': { $ne: null }, 'survey.ratedAt': null },
        { $set: { feedback, 'survey.ratedAt': now, updatedAt: now } },
        { returnDocument: 'after' },
      ),

    recordComment: (id: string, comment: string, now: Date) =>
      conversations.findOneAndUpdate(
        { _id: id, 'feedback.score': { $ne: null }, 'feedback.comment': null },
        { $set: { 'feedback.comment': comment, updatedAt: now } },
        { returnDocument: 'after' },
      ),

    claimThanks: (id: string, now: Date) =>
      conversations.findOneAndUpdate(
        { _id: id, 'survey.ratedAt': { $ne: null }, 'survey.thankedAt': null },
        { $set: { 'survey.thankedAt': now } },
        { returnDocument: 'after' },
      ),

    async link(id: string, link: ExternalLink, now: Date) {
      await conversations.updateOne({ _id: id }, { $pull: { externalLinks: { system: link.system } }, $set: { updatedAt: now } });
      return conversations.findOneAndUpdate({ _id: id }, { $push: { externalLinks: link } }, { returnDocument: 'after' });
    },
  };
}

export type ConversationRepository = ReturnType<typeof conversationRepository>;
