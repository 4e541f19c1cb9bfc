// Header actions: claim (queued), transfer (agent picker with status and
// load, and a note), release to the queue, resolve (survey on or off),
// reopen. Key e resolves.
import { useEffect, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import type { ConversationDetailFieldsFragment } from '../gql/graphql';
import { ErrorMessage } from '../shell/ErrorMessage';
import { STATUS_WORDS } from '../shell/StatusControl';
import { useViewer } from '../shell/viewer';

const Assign = graphql(`
  mutation AssignConversation($conversationId: ID!, $agentId: ID) {
    assignConversation(conversationId: $conversationId, agentId: $agentId) {
      ...ConversationDetailFields
    }
  }
`);

const Resolve = graphql(`
  mutation ResolveConversation($conversationId: ID!, $sendSurvey: Boolean) {
    resolveConversation(conversationId: $conversationId, sendSurvey: $sendSurvey) {
      ...ConversationDetailFields
    }
  }
`);

const Reopen = graphql(`
  mutation ReopenConversation($conversationId: ID!) {
    reopenConversation(conversationId: $conversationId) {
      ...ConversationDetailFields
    }
  }
`);

const Transfer = graphql(`
  mutation TransferConversation($conversationId: ID!, $agentId: ID!, $note: String) {
    transferConversation(conversationId: $conversationId, agentId: $agentId, note: $note) {
      ...ConversationDetailFields
    }
  }
`);

const Release = graphql(`
  mutation ReleaseConversation($conversationId: ID!) {
    releaseConversation(conversationId: $conversationId) {
      ...ConversationDetailFields
    }
  }
`);

const TransferTargets = graphql(`
  query TransferTargets {
    agents {
      ...AgentFields
    }
  }
`);

type Change = (conversation: ConversationDetailFieldsFragment) => void;

function TransferDialog({ conversation, onDone, onCancel }: { conversation: ConversationDetailFieldsFragment; onDone: Change; onCancel(): void }) {
  const [{ data, error: loadError }] = useQuery({ query: TransferTargets, requestPolicy: 'network-only' });
  const [assigning, assign] = useMutation(Assign);
  const [transferring, transfer] = useMutation(Transfer);
  const fetching = assigning.fetching || transferring.fetching;
  const error = assigning.error ?? transferring.error;
  const [agentId, setAgentId] = useState('');
  const [note, setNote] = useState('');
  const candidates = (data?.agents ?? []).filter((a) => a.id !== conversation.assignee?.id && a.active);
  return (
    <form
      className="popover"
      aria-label="Transfer conversation"
      onSubmit={async (e) => {
        e.preventDefault();
        if (!agentId) return;
        if (conversation.status === 'ASSIGNED') {
          const result = await transfer({ conversationId: conversation.id, agentId, note: note.trim() || null });
          if (result.data) onDone(result.data.transferConversation);
        } else {
          const result = await assign({ conversationId: conversation.id, agentId });
          if (result.data) onDone(result.data.assignConversation);
        }
      }}
    >
      <label>
        Transfer to
        <select value={agentId} onChange={(e) => setAgentId(e.target.value)} autoFocus>
          <option value="">Choose an agent…</option>
          {candidates.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name} — {STATUS_WORDS[a.status]}, {a.activeConversations} / {a.capacity}
            </option>
          ))}
        </select>
      </label>
      {conversation.status === 'ASSIGNED' && (
        <label>
          Note for the next agent
          <input value={note} onChange={(e) => setNote(e.target.value)} placeholder="Optional" />
        </label>
      )}
      <ErrorMessage error={loadError ?? error} />
      <div className="buttons">
        <button type="submit" disabled={!agentId || fetching}>
          Transfer conversation
        </button>
        <button type="button" className="quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function ConversationActions({ conversation, onChange }: { conversation: ConversationDetailFieldsFragment; onChange: Change }) {
  const viewer = useViewer();
  const isAdmin = viewer.role === 'ADMIN';
  const mine = conversation.assignee?.id === viewer.id;
  const [assignState, assign] = useMutation(Assign);
  const [resolveState, resolve] = useMutation(Resolve);
  const [reopenState, reopen] = useMutation(Reopen);
  const [releaseState, release] = useMutation(Release);
  const [sendSurvey, setSendSurvey] = useState(true);
  const [transferring, setTransferring] = useState(false);
  const canResolve = conversation.status !== 'RESOLVED' && (mine || isAdmin);

  async function doResolve() {
    const result = await resolve({ conversationId: conversation.id, sendSurvey });
    if (result.data) onChange(result.data.resolveConversation);
  }

  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      const target = event.target as HTMLElement | null;
      if (target && ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) return;
      if (event.key === 'e' && !event.metaKey && !event.ctrlKey && !event.altKey && canResolve) {
        event.preventDefault();
        void doResolve();
      }
    }
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  });

  return (
    <div className="actions">
      {conversation.status === 'QUEUED' && (
        <button
          type="button"
          disabled={assignState.fetching}
          onClick={async () => {
            const result = await assign({ conversationId: conversation.id, agentId: viewer.id });
            if (result.data) onChange(result.data.assignConversation);
          }}
        >
          Claim
        </button>
      )}
      {((conversation.status === 'ASSIGNED' && (mine || isAdmin)) || (conversation.status === 'QUEUED' && isAdmin)) && (
        <button type="button" className="secondary" aria-expanded={transferring} onClick={() => setTransferring((open) => !open)}>
          Transfer
        </button>
      )}
      {conversation.status === 'ASSIGNED' && (mine || isAdmin) && (
        <button
          type="button"
          className="secondary"
          disabled={releaseState.fetching}
          onClick={async () => {
            const result = await release({ conversationId: conversation.id });
            if (result.data) onChange(result.data.releaseConversation);
          }}
        >
          Release
        </button>
      )}
      {canResolve && (
        <>
          <label className="toggle">
            <input type="checkbox" checked={sendSurvey} onChange={(e) => setSendSurvey(e.target.checked)} /> Send survey
          </label>
          <button type="button" disabled={resolveState.fetching} onClick={() => void doResolve()}>
            Resolve
          </button>
        </>
      )}
      {conversation.status === 'RESOLVED' && (
        <button
          type="button"
          className="secondary"
          disabled={reopenState.fetching}
          onClick={async () => {
            const result = await reopen({ conversationId: conversation.id });
            if (result.data) onChange(result.data.reopenConversation);
          }}
        >
          Reopen
        </button>
      )}
      <ErrorMessage error={assignState.error ?? resolveState.error ?? reopenState.error ?? releaseState.error} />
      {transferring && (
        <TransferDialog
          conversation={conversation}
          onCancel={() => setTransferring(false)}
          onDone={(next) => {
            setTransferring(false);
            onChange(next);
          }}
        />
      )}
    </div>
  );
}
