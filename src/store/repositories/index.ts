import type { Store } from '../port.js';
import { agentRepository } from './agents.js';
import { cannedResponseRepository } from './cannedResponses.js';
import { conversationRepository } from './conversations.js';
import { customerRepository } from './customers.js';
import { conversationEventLog } from './events.js';
import { messageRepository } from './messages.js';
import { sessionRepository } from './sessions.js';
import { templateRepository } from './templates.js';

export function createRepositories(store: Store) {
  return {
    agents: agentRepository(store),
    customers: customerRepository(store),
    conversations: conversationRepository(store),
    messages: messageRepository(store),
    eventLog: conversationEventLog(store),
    sessions: sessionRepository(store),
    cannedResponses: cannedResponseRepository(store),
    templates: templateRepository(store),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
