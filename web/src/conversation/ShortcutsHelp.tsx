const SHORTCUTS: [string, string][] = [
  ['j / k', 'Next / previous conversation'],
  ['r', 'Focus the reply box'],
  ['n', 'Write a note'],
  ['e', 'Resolve'],
  ['Enter', 'Send (Shift+Enter: new line)'],
  ['?', 'Show or hide this list'],
];

export function ShortcutsHelp({ onClose }: { onClose(): void }) {
  return (
    <div className="dialog" role="dialog" aria-label="Keyboard shortcuts">
      <h3>Keyboard shortcuts</h3>
      <dl>
        {SHORTCUTS.map(([keys, what]) => (
          <div key={keys}>
            <dt>
              <kbd>{keys}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <button type="button" onClick={onClose} autoFocus>
        Close
      </button>
    </div>
  );
}
