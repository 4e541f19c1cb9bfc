// The shapes the screens share. The client preset adds these definitions to
// every operation that spreads them.
import { graphql } from '../gql';

export const AgentSummary = graphql(`
  fragment AgentSummary on Agent {
    id
    name
    email
    role
    status
    capacity
    activeConversations
    active
  }
`);

export const MessageView = graphql(`
  fragment MessageView on Message {
    id
    conversationId
    direction
    author
    type
    text
    status
    statusAt
    createdAt
    error {
      code
      title
    }
    agent {
      id
      name
    }
    media {
      id
      mimeType
      filename
      caption
    }
  }
`);

export const ConversationRowFields = graphql(`
  fragment ConversationRowFields on Conversation {
    id
    status
    openedAt
    resolvedAt
    lastCustomerMessageAt
    serviceWindowExpiresAt
    customer {
      id
      name
      waId
    }
    assignee {
      id
      name
    }
    lastActivityAt
    unreadCount
    labels
    lastCustomerMessage {
      id
      text
      type
      createdAt
    }
  }
`);
