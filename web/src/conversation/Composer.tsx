// The composer: Enter sends, Shift+Enter breaks the line; "Add note" (or
// note mode, key n) writes an internal note instead. The draft is stored as
// it is typed, so a reload or an expired session loses nothing.
import { useState, type RefObject } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../gql';
import type { ConversationDetailFieldsFragment, MessageViewFragment } from '../gql/graphql';
import { loadDraft, saveDraft } from '../session';
import { ErrorMessage } from '../shell/ErrorMessage';
import { durationWords, windowLeftMs } from '../time';
import { useCannedMatches } from './cannedResponses';

const SendReply = graphql(`
  mutation SendReply($conversationId: ID!, $text: String!) {
    sendReply(conversationId: $conversationId, text: $text) {
      ...MessageView
    }
  }
`);

const SendMedia = graphql(`
  mutation SendMediaFile($conversationId: ID!, $file: File!, $caption: String) {
    sendMedia(conversationId: $conversationId, file: $file, caption: $caption) {
      ...MessageView
    }
  }
`);

/** What WhatsApp accepts (README, "Media and templates"); the desk checks sizes and answers in words. */
const ACCEPT = 'image/jpeg,image/png,image/webp,video/mp4,video/3gpp,audio/aac,audio/amr,audio/mpeg,audio/mp4,audio/ogg,application/pdf,text/plain,.doc,.docx,.xls,.xlsx,.ppt,.pptx';

const AddNote = graphql(`
  mutation AddNote($conversationId: ID!, $text: String!) {
    addNote(conversationId: $conversationId, text: $text) {
      ...MessageView
    }
  }
`);

export function Composer({
  conversation,
  now,
  replyRef,
  noteMode,
  onNoteMode,
  onSent,
}: {
  conversation: ConversationDetailFieldsFragment;
  now: number;
  replyRef: RefObject<HTMLTextAreaElement | null>;
  noteMode: boolean;
  onNoteMode(note: boolean): void;
  onSent(message: MessageViewFragment): void;
}) {
  const [text, setText] = useState(() => loadDraft(conversation.id));
  const [reply, sendReply] = useMutation(SendReply);
  const [note, addNote] = useMutation(AddNote);
  const [upload, sendMedia] = useMutation(SendMedia);
  const [lastError, setLastError] = useState<'reply' | 'note' | 'file' | null>(null);
  const busy = reply.fetching || note.fetching || upload.fetching;
  const left = windowLeftMs(conversation.serviceWindowExpiresAt, now);
  const canned = useCannedMatches(text);
  const [highlight, setHighlight] = useState(0);
  const choices = canned ?? [];
  const open = choices.length > 0;

  function update(value: string) {
    setText(value);
    saveDraft(conversation.id, value);
    setHighlight(0);
  }

  async function submit(asNote: boolean) {
    const body = text.trim();
    if (!body || busy) return;
    const variables = { conversationId: conversation.id, text: body };
    const result = asNote ? await addNote(variables) : await sendReply(variables);
    setLastError(result.error ? (asNote ? 'note' : 'reply') : null);
    const message = result.data && ('addNote' in result.data ? result.data.addNote : result.data.sendReply);
    if (message) {
      update('');
      onSent(message);
      if (asNote) onNoteMode(false);
    }
  }

  /** A file goes out with the text typed so far as its caption. */
  async function attach(file: File) {
    const caption = text.trim();
    const result = await sendMedia({ conversationId: conversation.id, file, caption: caption || null });
    setLastError(result.error ? 'file' : null);
    if (result.data) {
      if (caption) update('');
      onSent(result.data.sendMedia);
    }
  }

  return (
    <form
      className={`composer ${noteMode ? 'composer-note' : ''}`}
      onSubmit={(e) => {
        e.preventDefault();
        void submit(noteMode);
      }}
    >
      <ErrorMessage error={lastError === 'note' ? note.error : lastError === 'reply' ? reply.error : lastError === 'file' ? upload.error : null} />
      <textarea
        ref={replyRef}
        aria-label="Reply"
        placeholder={noteMode ? 'Internal note: only agents see it' : 'Write a reply… (Enter sends, Shift+Enter for a new line)'}
        rows={3}
        value={text}
        onChange={(e) => update(e.target.value)}
        role="combobox"
        aria-expanded={open}
        aria-controls="canned-responses"
        aria-autocomplete="list"
        aria-activedescendant={open ? `canned-${choices[highlight]?.id}` : undefined}
        onKeyDown={(e) => {
          if (open && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
            e.preventDefault();
            setHighlight((h) => (h + (e.key === 'ArrowDown' ? 1 : choices.length - 1)) % choices.length);
          } else if (open && (e.key === 'Enter' || e.key === 'Tab')) {
            e.preventDefault();
            update(choices[highlight]?.text ?? text);
          } else if (open && e.key === 'Escape') {
            update(text + ' ');
          } else if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            void submit(noteMode);
          } else if (e.key === 'Escape' && noteMode) {
            onNoteMode(false);
          }
        }}
      />
      {canned !== null && (
        <ul id="canned-responses" role="listbox" aria-label="Canned responses" className="canned">
          {choices.length === 0 && <li className="muted">No canned response matches.</li>}
          {choices.map((c, i) => (
            <li key={c.id} id={`canned-${c.id}`} role="option" aria-selected={i === highlight} onMouseDown={(e) => (e.preventDefault(), update(c.text))}>
              <strong>/{c.shortcut}</strong> {c.text}
            </li>
          ))}
        </ul>
      )}
      <div className="composer-bar">
        <span className="window-left">{left > 0 ? `Window closes in ${durationWords(left)}` : 'The 24-hour window has closed: notes only'}</span>
        <label className={`attach secondary-button ${busy || left === 0 || noteMode ? 'disabled' : ''}`}>
          {upload.fetching ? 'Sending file…' : 'Attach'}
          <input
            type="file"
            aria-label="Attach a file"
            className="visually-hidden"
            accept={ACCEPT}
            disabled={busy || left === 0 || noteMode}
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = '';
              if (file) void attach(file);
            }}
          />
        </label>
        <label className="toggle">
          <input type="checkbox" checked={noteMode} onChange={(e) => onNoteMode(e.target.checked)} /> Note
        </label>
        <button type="button" className="secondary" disabled={busy || !text.trim()} onClick={() => void submit(true)}>
          Add note
        </button>
        <button type="button" disabled={busy || !text.trim() || left === 0} onClick={() => void submit(false)}>
          Send
        </button>
      </div>
    </form>
  );
}
