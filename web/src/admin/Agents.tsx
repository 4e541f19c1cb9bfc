// Agents: the team with status and load; create an agent with a password
// (and an API token shown once), edit capacity and role, deactivate or
// reactivate, rotate a token (the new one shown once, here, and never again).
import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { AgentRole, AgentFieldsFragment } from '../gql/graphql';
import { useLiveEvent, useRefetchOnReconnect } from '../live';
import { ErrorMessage } from '../shell/ErrorMessage';
import { STATUS_WORDS } from '../shell/StatusControl';
import { Table } from '../shell/Table';

const AgentsQuery = graphql(`
  query AdminAgents {
    agents {
      ...AgentFields
    }
  }
`);

const CreateAgent = graphql(`
  mutation CreateAgent($input: CreateAgentInput!) {
    createAgent(input: $input) {
      token
      agent {
        ...AgentFields
      }
    }
  }
`);

const UpdateAgent = graphql(`
  mutation UpdateAgent($id: ID!, $input: UpdateAgentInput!) {
    updateAgent(id: $id, input: $input) {
      ...AgentFields
    }
  }
`);

const DeactivateAgent = graphql(`
  mutation DeactivateAgent($id: ID!) {
    deactivateAgent(id: $id) {
      ...AgentFields
    }
  }
`);

const ReactivateAgent = graphql(`
  mutation ReactivateAgent($id: ID!) {
    reactivateAgent(id: $id) {
      ...AgentFields
    }
  }
`);

const RotateToken = graphql(`
  mutation RotateAgentToken($id: ID!) {
    rotateAgentToken(id: $id)
  }
`);

type Shown = { name: string; token: string };

function AgentRow({ agent, onToken }: { agent: AgentFieldsFragment; onToken(shown: Shown): void }) {
  const [capacity, setCapacity] = useState(agent.capacity);
  const [update, updateAgent] = useMutation(UpdateAgent);
  const [deactivation, deactivate] = useMutation(DeactivateAgent);
  const [reactivation, reactivate] = useMutation(ReactivateAgent);
  const [rotation, rotate] = useMutation(RotateToken);
  useEffect(() => setCapacity(agent.capacity), [agent.capacity]);
  return (
    <tr className={agent.active ? undefined : 'inactive'}>
      <td>{agent.name}</td>
      <td>{agent.email}</td>
      <td>
        <select aria-label={`Role of ${agent.name}`} value={agent.role} disabled={update.fetching} onChange={(e) => void updateAgent({ id: agent.id, input: { role: e.target.value as AgentRole } })}>
          <option value="AGENT">Agent</option>
          <option value="ADMIN">Admin</option>
        </select>
      </td>
      <td>
        {agent.active ? (
          <>
            <span className={`dot dot-${agent.status.toLowerCase()}`} aria-hidden="true" /> {STATUS_WORDS[agent.status]}
          </>
        ) : (
          'Deactivated'
        )}
      </td>
      <td>
        {agent.activeConversations} /{' '}
        <input
          type="number"
          className="narrow"
          aria-label={`Capacity of ${agent.name}`}
          min={1}
          max={100}
          value={capacity}
          onChange={(e) => setCapacity(Number(e.target.value))}
          onBlur={() => capacity !== agent.capacity && void updateAgent({ id: agent.id, input: { capacity } })}
        />
      </td>
      <td className="row-actions">
        <button
          type="button"
          className="secondary"
          disabled={rotation.fetching || !agent.active}
          onClick={async () => {
            const result = await rotate({ id: agent.id });
            if (result.data) onToken({ name: agent.name, token: result.data.rotateAgentToken });
          }}
        >
          Rotate token
        </button>
        {agent.active ? (
          <button type="button" className="secondary danger" disabled={deactivation.fetching} onClick={() => void deactivate({ id: agent.id })}>
            Deactivate
          </button>
        ) : (
          <button type="button" className="secondary" disabled={reactivation.fetching} onClick={() => void reactivate({ id: agent.id })}>
            Reactivate
          </button>
        )}
        <ErrorMessage error={update.error ?? deactivation.error ?? reactivation.error ?? rotation.error} />
      </td>
    </tr>
  );
}

export function Agents() {
  const [{ data, error }, refetch] = useQuery({ query: AgentsQuery });
  const [shown, setShown] = useState<Shown | null>(null);
  const [{ fetching, error: createError }, createAgent] = useMutation(CreateAgent);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<AgentRole>('AGENT');
  const [capacity, setCapacity] = useState(5);

  useLiveEvent('agent', () => refetch({ requestPolicy: 'network-only' }));
  useRefetchOnReconnect(refetch);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await createAgent({ input: { name: name.trim(), email: email.trim(), role, capacity, ...(password ? { password } : {}) } });
    if (result.data) {
      setShown({ name: result.data.createAgent.agent.name, token: result.data.createAgent.token });
      setName('');
      setEmail('');
      setPassword('');
      refetch({ requestPolicy: 'network-only' });
    }
  }

  return (
    <section aria-label="Agents">
      <h2>Agents</h2>
      <ErrorMessage error={error} />
      <Table columns={['Name', 'Email', 'Role', 'Status', 'Load / capacity', '']}>
        {(data?.agents ?? []).map((agent) => (
          <AgentRow key={agent.id} agent={agent} onToken={setShown} />
        ))}
      </Table>
      {shown && (
        <div className="card token-once" role="status">
          <p>API token for {shown.name} — shown once; copy it now:</p>
          <output aria-label="New access token">{shown.token}</output>
          <button type="button" className="quiet" onClick={() => setShown(null)}>
            Done
          </button>
        </div>
      )}

      <form className="card" onSubmit={submit} aria-label="New agent">
        <h3>New agent</h3>
        <div className="fields">
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} required />
          </label>
          <label>
            Email
            <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
          </label>
          <label>
            Password
            <input type="password" autoComplete="new-password" minLength={12} value={password} onChange={(e) => setPassword(e.target.value)} placeholder="12 characters or more" />
          </label>
          <label>
            Role
            <select value={role} onChange={(e) => setRole(e.target.value as AgentRole)}>
              <option value="AGENT">Agent</option>
              <option value="ADMIN">Admin</option>
            </select>
          </label>
          <label>
            Capacity
            <input type="number" min={1} max={100} value={capacity} onChange={(e) => setCapacity(Number(e.target.value))} />
          </label>
        </div>
        <ErrorMessage error={createError} />
        <button type="submit" disabled={fetching}>
          Create agent
        </button>
      </form>
    </section>
  );
}
