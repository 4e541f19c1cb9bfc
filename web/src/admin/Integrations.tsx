// Integrations: each plugin's delivery health, and dead letters with retry.
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { useRefetchOnReconnect } from '../live';
import { ErrorMessage } from '../shell/ErrorMessage';
import { Table } from '../shell/Table';

const IntegrationsQuery = graphql(`
  query AdminIntegrations {
    integrations {
      name
      status
      pending
      deadLetters
      lastDeliveredAt
      lastError
      lastErrorAt
    }
    deadLetters {
      id
      queue
      error
      attempts
      failedAt
    }
  }
`);

const RetryIntegration = graphql(`
  mutation RetryIntegration($name: String!) {
    retryIntegration(name: $name)
  }
`);

const RetryDeadLetter = graphql(`
  mutation RetryDeadLetter($id: ID!, $queue: String!) {
    retryDeadLetter(id: $id, queue: $queue)
  }
`);

const HEALTH_WORDS = { OK: 'OK', DEGRADED: 'Degraded', FAILING: 'Failing' } as const;

export function Integrations() {
  const [{ data, error }, refetch] = useQuery({ query: IntegrationsQuery, requestPolicy: 'network-only' });
  useRefetchOnReconnect(refetch);
  const [retryIntegrationState, retryIntegration] = useMutation(RetryIntegration);
  const [retryLetterState, retryLetter] = useMutation(RetryDeadLetter);
  const again = () => refetch({ requestPolicy: 'network-only' });
  return (
    <section aria-label="Integrations">
      <h2>Integrations</h2>
      <ErrorMessage error={error ?? retryIntegrationState.error ?? retryLetterState.error} />
      {data && data.integrations.length === 0 && <p className="empty">No plugins are loaded. Set PLUGINS (zendesk, hubspot, webhook) to connect a CRM.</p>}
      {data && data.integrations.length > 0 && (
        <Table columns={['Plugin', 'Status', 'Pending', 'Dead letters', 'Last delivered', 'Last error', '']}>
          {data.integrations.map((i) => (
            <tr key={i.name}>
              <td>{i.name}</td>
              <td className={`health-${i.status.toLowerCase()}`}>{HEALTH_WORDS[i.status]}</td>
              <td>{i.pending}</td>
              <td>{i.deadLetters}</td>
              <td>{i.lastDeliveredAt ? new Date(i.lastDeliveredAt).toLocaleString() : '—'}</td>
              <td>{i.lastError ?? '—'}</td>
              <td>
                <button type="button" className="secondary" disabled={i.deadLetters === 0} onClick={async () => (await retryIntegration({ name: i.name }), again())}>
                  Retry {i.name}
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
      <h3>Dead letters</h3>
      {data && data.deadLetters.length === 0 && <p className="muted">None: every send and delivery went through.</p>}
      {data && data.deadLetters.length > 0 && (
        <Table columns={['Queue', 'Error', 'Attempts', 'Failed', '']}>
          {data.deadLetters.map((d) => (
            <tr key={`${d.queue}:${d.id}`}>
              <td>{d.queue}</td>
              <td>{d.error}</td>
              <td>{d.attempts}</td>
              <td>{new Date(d.failedAt).toLocaleString()}</td>
              <td>
                <button type="button" className="secondary" onClick={async () => (await retryLetter({ id: d.id, queue: d.queue }), again())}>
                  Retry
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}
