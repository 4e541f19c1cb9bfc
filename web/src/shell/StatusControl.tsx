// The agent's presence: Online / Away / Offline, with a coloured dot.
import { useMutation } from 'urql';
import { graphql } from '../gql';
import type { AgentFieldsFragment, AgentStatus } from '../gql/graphql';
import { ErrorMessage } from './ErrorMessage';

const SetStatus = graphql(`
  mutation SetStatus($status: AgentStatus!) {
    setAgentStatus(status: $status) {
      ...AgentFields
    }
  }
`);

export const STATUS_WORDS: Record<AgentStatus, string> = { ONLINE: 'Online', AWAY: 'Away', OFFLINE: 'Offline' };

export function StatusControl({ viewer, onChange }: { viewer: AgentFieldsFragment; onChange(agent: AgentFieldsFragment): void }) {
  const [{ fetching, error }, setStatus] = useMutation(SetStatus);
  return (
    <span className="status-control">
      <span className={`dot dot-${viewer.status.toLowerCase()}`} aria-hidden="true" />
      <label>
        <span className="visually-hidden">Status</span>
        <select
          aria-label="Status"
          value={viewer.status}
          disabled={fetching}
          onChange={async (e) => {
            const result = await setStatus({ status: e.target.value as AgentStatus });
            if (result.data) onChange(result.data.setAgentStatus);
          }}
        >
          {(Object.keys(STATUS_WORDS) as AgentStatus[]).map((status) => (
            <option key={status} value={status}>
              {STATUS_WORDS[status]}
            </option>
          ))}
        </select>
      </label>
      <ErrorMessage error={error} />
    </span>
  );
}
