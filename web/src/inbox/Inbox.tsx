// The inbox screen: list, conversation and customer panel side by side at
// desktop width; one at a time on a phone, with a back control.
import { ConversationView } from '../conversation/ConversationView';
import { ConversationList } from './ConversationList';

export function Inbox({ selectedId }: { selectedId: string | null }) {
  return (
    <main className={`inbox ${selectedId ? 'has-selection' : ''}`}>
      <ConversationList selectedId={selectedId} />
      {selectedId ? (
        <ConversationView key={selectedId} id={selectedId} />
      ) : (
        <section className="conversation-pane placeholder">
          <p className="empty">Pick a conversation on the left. Keys: j / k move, r reply, n note, e resolve, ? all shortcuts.</p>
        </section>
      )}
    </main>
  );
}
