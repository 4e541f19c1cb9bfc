// Labels on a conversation: chips with a remove control, and a box to add one.
import { useState } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../gql';
import { ErrorMessage } from '../shell/ErrorMessage';

const AddLabels = graphql(`
  mutation AddLabels($conversationId: ID!, $labels: [String!]!) {
    addLabels(conversationId: $conversationId, labels: $labels) {
      id
      labels
    }
  }
`);

const RemoveLabels = graphql(`
  mutation RemoveLabels($conversationId: ID!, $labels: [String!]!) {
    removeLabels(conversationId: $conversationId, labels: $labels) {
      id
      labels
    }
  }
`);

export function Labels({ conversationId, labels, editable, onChange }: { conversationId: string; labels: string[]; editable: boolean; onChange(labels: string[]): void }) {
  const [added, add] = useMutation(AddLabels);
  const [removed, remove] = useMutation(RemoveLabels);
  const [draft, setDraft] = useState('');
  return (
    <div className="labels" aria-label="Labels" role="group">
      {labels.map((label) => (
        <span key={label} className="chip chip-label">
          {label}
          {editable && (
            <button
              type="button"
              className="chip-remove"
              aria-label={`Remove label ${label}`}
              onClick={async () => {
                const result = await remove({ conversationId, labels: [label] });
                if (result.data) onChange(result.data.removeLabels.labels);
              }}
            >
              ×
            </button>
          )}
        </span>
      ))}
      {editable && (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            const label = draft.trim();
            if (!label) return;
            const result = await add({ conversationId, labels: [label] });
            if (result.data) {
              setDraft('');
              onChange(result.data.addLabels.labels);
            }
          }}
        >
          <input className="label-input" aria-label="Add label" placeholder="+ label" value={draft} onChange={(e) => setDraft(e.target.value)} />
        </form>
      )}
      <ErrorMessage error={added.error ?? removed.error} />
    </div>
  );
}
