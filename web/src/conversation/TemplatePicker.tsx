// Once the 24-hour window has closed only an approved template reaches the
// customer: the composer gives way to this picker.
import { useState } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../gql';
import type { MessageViewFragment } from '../gql/graphql';
import { ErrorMessage } from '../shell/ErrorMessage';

const SendTemplate = graphql(`
  mutation SendTemplate($conversationId: ID!, $name: String!, $language: String!, $components: JSON) {
    sendTemplate(conversationId: $conversationId, name: $name, language: $language, components: $components) {
      ...MessageView
    }
  }
`);

export function TemplatePicker({ conversationId, onSent, onWriteNote }: { conversationId: string; onSent(message: MessageViewFragment): void; onWriteNote(): void }) {
  const [name, setName] = useState('');
  const [language, setLanguage] = useState('en_US');
  const [{ fetching, error }, send] = useMutation(SendTemplate);
  return (
    <form
      className="template-picker"
      aria-label="Template picker"
      onSubmit={async (e) => {
        e.preventDefault();
        const result = await send({ conversationId, name: name.trim(), language: language.trim() });
        if (result.data) {
          setName('');
          onSent(result.data.sendTemplate);
        }
      }}
    >
      <p className="window-closed">The 24-hour window has closed: only an approved template reaches the customer now.</p>
      <div className="fields">
        <label>
          Template
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. follow_up" required />
        </label>
        <label>
          Language
          <input value={language} onChange={(e) => setLanguage(e.target.value)} required />
        </label>
      </div>
      <ErrorMessage error={error} />
      <div className="buttons">
        <button type="submit" disabled={fetching || !name.trim()}>
          Send template
        </button>
        <button type="button" className="secondary" onClick={onWriteNote}>
          Write a note
        </button>
      </div>
    </form>
  );
}
