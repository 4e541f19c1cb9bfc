// Agents: the team with status and load; create an agent (its API token is
// shown once, here, and never again).
import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { AgentRole } from '../gql/graphql';
import { useLiveEpoch, useLiveEvent } from '../live';
import { ErrorMessage } from '../shell/ErrorMessage';
import { STATUS_WORDS } from '../shell/StatusControl';

const AgentsQuery = graphql(`
  query AdminAgents {
    agents {
      ...AgentSummary
    }
  }
`);

const CreateAgent = graphql(`
  mutation CreateAgent($input: CreateAgentInput!) {
    createAgent(input: $input) {
      token
      agent {
        ...AgentSummary
      }
    }
  }
`);

export function Agents() {
  const epoch = useLiveEpoch();
  const [{ data, error }, refetch] = useQuery({ query: AgentsQuery });
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [{ fetching, error: createError }, createAgent] = useMutation(CreateAgent);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<AgentRole>('AGENT');
  const [capacity, setCapacity] = useState(5);

  useLiveEvent('agent', () => refetch({ requestPolicy: 'network-only' }));
  useEffect(() => {
    if (epoch > 0) refetch({ requestPolicy: 'network-only' });
  }, [epoch, refetch]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await createAgent({ input: { name: name.trim(), email: email.trim(), role, capacity } });
    if (result.data) {
      setCreated({ name: result.data.createAgent.agent.name, token: result.data.createAgent.token });
      setName('');
      setEmail('');
      refetch({ requestPolicy: 'network-only' });
    }
  }

  return (
    <section aria-label="Agents">
      <h2>Agents</h2>
      <ErrorMessage error={error} />
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Status</th>
            <th scope="col">Load</th>
          </tr>
        </thead>
        <tbody>
          {(data?.agents ?? []).map((agent) => (
            <tr key={agent.id}>
              <td>{agent.name}</td>
              <td>{agent.email}</td>
              <td>{agent.role === 'ADMIN' ? 'Admin' : 'Agent'}</td>
              <td>
                <span className={`dot dot-${agent.status.toLowerCase()}`} aria-hidden="true" /> {STATUS_WORDS[agent.status]}
              </td>
              <td>
                {agent.activeConversations} / {agent.capacity}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

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
      {created && (
        <div className="card token-once" role="status">
          <p>
            Access token for {created.name} — shown once; copy it now:
          </p>
          <output aria-label="New access token">{created.token}</output>
          <button type="button" className="quiet" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
    </section>
  );
}
