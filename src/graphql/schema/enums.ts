import {
  AGENT_ROLES,
  AGENT_STATUSES,
  CONVERSATION_STATUSES,
  DELIVERY_STATUSES,
  MESSAGE_AUTHORS,
  MESSAGE_DIRECTIONS,
  MESSAGE_TYPES,
} from '../../domain/model.js';
import { builder } from '../builder.js';

export const AgentRoleEnum = builder.enumType('AgentRole', { values: AGENT_ROLES });
export const AgentStatusEnum = builder.enumType('AgentStatus', { values: AGENT_STATUSES });
export const ConversationStatusEnum = builder.enumType('ConversationStatus', { values: CONVERSATION_STATUSES });
export const DeliveryStatusEnum = builder.enumType('DeliveryStatus', { values: DELIVERY_STATUSES });
export const MessageAuthorEnum = builder.enumType('MessageAuthor', { values: MESSAGE_AUTHORS });
export const MessageDirectionEnum = builder.enumType('MessageDirection', { values: MESSAGE_DIRECTIONS });
export const MessageTypeEnum = builder.enumType('MessageType', { values: MESSAGE_TYPES });
