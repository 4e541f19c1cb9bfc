// The shapes the screens share. Agents, inbox rows and files use the
// fragments the tests' operations use too (schema/operations/fragments.graphql:
// AgentFields, InboxRow, MediaFields). A message keeps its own list: the
// console shows statusAt, the author's name and the file, and has no use for
// MessageFields' whatsappId, origin, authorName and payload.
// The client preset adds these definitions to every operation that spreads
// them.
import { graphql } from '../gql';

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
      ...MediaFields
    }
  }
`);

/** A page of a conversation's history, newest last: the first screen and every scroll-back. */
export const MessagePage = graphql(`
  fragment MessagePage on MessageConnection {
    edges {
      node {
        ...MessageView
      }
    }
    pageInfo {
      hasPreviousPage
      startCursor
    }
  }
`);

export const ConversationRowFields = graphql(`
  fragment ConversationRowFields on Conversation {
    ...InboxRow
    resolvedAt
    lastCustomerMessageAt
  }
`);
