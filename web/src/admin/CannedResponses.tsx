// Canned responses: shortcuts agents insert by typing "/" in the composer.
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { useRefetchOnReconnect } from '../live';
import { ErrorMessage } from '../shell/ErrorMessage';
import { Table } from '../shell/Table';

export const CannedResponsesQuery = graphql(`
  query CannedResponses($search: String) {
    cannedResponses(search: $search) {
      id
      shortcut
      text
    }
  }
`);

const CreateCanned = graphql(`
  mutation CreateCannedResponse($input: CannedResponseInput!) {
    createCannedResponse(input: $input) {
      id
      shortcut
      text
    }
  }
`);

const UpdateCanned = graphql(`
  mutation UpdateCannedResponse($id: ID!, $input: UpdateCannedResponseInput!) {
    updateCannedResponse(id: $id, input: $input) {
      id
      shortcut
      text
    }
  }
`);

const DeleteCanned = graphql(`
  mutation DeleteCannedResponse($id: ID!) {
    deleteCannedResponse(id: $id)
  }
`);

export function CannedResponses() {
  const [{ data, error }, refetch] = useQuery({ query: CannedResponsesQuery, variables: {}, requestPolicy: 'network-only' });
  useRefetchOnReconnect(refetch);
  const [created, create] = useMutation(CreateCanned);
  const [updated, update] = useMutation(UpdateCanned);
  const [deleted, remove] = useMutation(DeleteCanned);
  const [shortcut, setShortcut] = useState('');
  const [text, setText] = useState('');
  const again = () => refetch({ requestPolicy: 'network-only' });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await create({ input: { shortcut: shortcut.trim().replace(/^\//, ''), text } });
    if (result.data) {
      setShortcut('');
      setText('');
      again();
    }
  }

  return (
    <section aria-label="Canned responses">
      <h2>Canned responses</h2>
      <p className="muted">Agents type / in the reply box, then the shortcut.</p>
      <ErrorMessage error={error ?? updated.error ?? deleted.error} />
      <Table columns={['Shortcut', 'Text', '']}>
        {(data?.cannedResponses ?? []).map((c) => (
          <tr key={c.id}>
            <td>/{c.shortcut}</td>
            <td>
              <textarea
                aria-label={`Text of /${c.shortcut}`}
                defaultValue={c.text}
                rows={2}
                onBlur={(e) => e.target.value !== c.text && void update({ id: c.id, input: { text: e.target.value } })}
              />
            </td>
            <td>
              <button type="button" className="secondary danger" onClick={async () => (await remove({ id: c.id }), again())}>
                Delete /{c.shortcut}
              </button>
            </td>
          </tr>
        ))}
      </Table>
      <form className="card" aria-label="New canned response" onSubmit={submit}>
        <h3>New canned response</h3>
        <div className="fields">
          <label>
            Shortcut
            <input value={shortcut} onChange={(e) => setShortcut(e.target.value)} placeholder="e.g. refund" required />
          </label>
          <label className="grow">
            Text
            <textarea value={text} onChange={(e) => setText(e.target.value)} rows={3} required />
          </label>
        </div>
        <ErrorMessage error={created.error} />
        <button type="submit" disabled={created.fetching}>
          Add canned response
        </button>
      </form>
    </section>
  );
}
