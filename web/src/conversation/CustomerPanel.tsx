// The customer: who they are and their earlier conversations. Collapsible.
import { useState } from 'react';
import { useQuery } from 'urql';
import { Link } from 'wouter';
import { graphql } from '../gql';
import type { ConversationDetailFieldsFragment } from '../gql/graphql';
import { customerLabel } from '../inbox/tabs';
import { useRefetchOnReconnect } from '../live';
import { ErrorMessage } from '../shell/ErrorMessage';

const CustomerQuery = graphql(`
  query CustomerPanel($id: ID!) {
    customer(id: $id) {
      id
      name
      phone
      country
      firstSeenAt
      conversationCount
      conversations(first: 20) {
        edges {
          node {
            id
            status
            openedAt
            feedback {
              score
            }
          }
        }
      }
    }
  }
`);

export function CustomerPanel({ conversation }: { conversation: ConversationDetailFieldsFragment }) {
  const [open, setOpen] = useState(true);
  const [{ data, error }, refetch] = useQuery({ query: CustomerQuery, variables: { id: conversation.customer.id } });
  useRefetchOnReconnect(refetch);
  const customer = data?.customer;
  const others = (customer?.conversations.edges ?? []).map((e) => e.node).filter((c) => c.id !== conversation.id);
  return (
    <aside className={`customer-pane ${open ? '' : 'collapsed'}`} aria-label="Customer">
      <button type="button" className="quiet collapse" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        {open ? 'Hide customer' : 'Customer'}
      </button>
      {open && (
        <>
          <h3>{customerLabel(conversation.customer)}</h3>
          <dl>
            <dt>WhatsApp</dt>
            <dd>{customer?.phone ?? `+${conversation.customer.waId}`}</dd>
            {customer?.country && (
              <>
                <dt>Country</dt>
                <dd>{customer.country}</dd>
              </>
            )}
            {customer && (
              <>
                <dt>First wrote</dt>
                <dd>{new Date(customer.firstSeenAt).toLocaleDateString()}</dd>
                <dt>Conversations</dt>
                <dd>{customer.conversationCount}</dd>
              </>
            )}
            <dt>Opened</dt>
            <dd>{new Date(conversation.openedAt).toLocaleString()}</dd>
            {conversation.cycle > 1 && (
              <>
                <dt>Reopened</dt>
                <dd>{conversation.cycle - 1} ×</dd>
              </>
            )}
          </dl>
          <h4>Earlier conversations</h4>
          <ErrorMessage error={error} />
          {others.length === 0 ? (
            <p className="muted">None.</p>
          ) : (
            <ul className="earlier-conversations">
              {others.map((c) => (
                <li key={c.id}>
                  <Link href={`/c/${c.id}`}>
                    {new Date(c.openedAt).toLocaleDateString()} · {c.status.toLowerCase()}
                    {c.feedback ? ` · rated ${c.feedback.score}` : ''}
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </aside>
  );
}
