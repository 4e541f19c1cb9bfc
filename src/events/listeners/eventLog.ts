// The reporting listener: writes the append-only log metrics and timelines
// read, one entry per lifecycle event, in the events' own vocabulary.
import { LOGGED_EVENT_TYPES, type DomainEvent, type LoggedEventType } from '../../domain/events.js';
import type { ConversationEventLog, LogEntry } from '../../store/repositories/events.js';
import type { EventListener } from '../dispatcher.js';

const LOGGED = new Set<string>(LOGGED_EVENT_TYPES);

function isLogged(event: DomainEvent): event is Extract<DomainEvent, { type: LoggedEventType }> {
  return LOGGED.has(event.type);
}

/** The log entry an event leaves; null for the events the log does not keep (messages). */
export function logEntryOf(event: DomainEvent): LogEntry | null {
  if (!isLogged(event)) return null;
  const at = event.at;
  if (event.type === 'agent.status') {
    return { type: event.type, at, agentId: event.agent._id, data: { from: event.previousStatus, to: event.agent.status } };
  }
  const { conversation } = event;
  const about = { type: event.type, at, conversationId: conversation._id, cycle: conversation.cycle };
  switch (event.type) {
    case 'conversation.opened':
      return about;
    case 'conversation.reopened':
      return event.by ? { ...about, data: { by: event.by } } : about;
    case 'conversation.assigned':
      return {
        ...about,
        agentId: event.agent._id,
        data: { by: event.by, fromAgentId: event.fromAgentId, ...(event.actorId ? { actorId: event.actorId } : {}), ...(event.note ? { note: event.note } : {}) },
      };
    case 'conversation.unassigned':
      return { ...about, agentId: event.fromAgentId, data: { reason: event.reason, ...(event.actorId ? { actorId: event.actorId } : {}) } };
    case 'conversation.first_response':
      return { ...about, agentId: event.agentId, data: { cycleStartedAt: conversation.cycleStartedAt } };
    case 'conversation.resolved':
      // The assignee is kept on a resolved conversation: whose resolution it was.
      return { ...about, agentId: conversation.assigneeId, data: { cycleStartedAt: conversation.cycleStartedAt, by: event.by } };
    case 'feedback.received':
      return { ...about, agentId: conversation.assigneeId, data: { score: event.feedback.score } };
    case 'feedback.commented':
      return { ...about, agentId: conversation.assigneeId, data: { comment: event.feedback.comment } };
  }
}

export function eventLogListener(log: Pick<ConversationEventLog, 'append'>): EventListener {
  return {
    name: 'event log',
    async handle(event) {
      const entry = logEntryOf(event);
      if (entry) await log.append(entry);
    },
  };
}
