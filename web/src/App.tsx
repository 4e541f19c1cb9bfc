// Session gate: the sign-in page without a session; with one, a client bound
// to its token, the live feed, and the console. A refused token (expired,
// revoked) ends the session and returns to sign-in; drafts stay stored.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Provider } from 'urql';
import { createDeskClient, type ConnectionState } from './api/client';
import { LiveProvider } from './live';
import { Console } from './shell/Console';
import { SignIn } from './SignIn';
import { clearSession, loadSession, saveSession, type Session } from './session';

const EXPIRED = 'Your session has ended: sign in again. Anything you were typing is kept.';

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [notice, setNotice] = useState<string | null>(null);

  const end = useCallback((message: string | null) => {
    clearSession();
    setSession(null);
    setNotice(message);
  }, []);

  if (!session) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(next) => {
          saveSession(next);
          setNotice(null);
          setSession(next);
        }}
      />
    );
  }
  return <SignedIn key={session.token} session={session} onEnd={end} />;
}

function SignedIn({ session, onEnd }: { session: Session; onEnd(message: string | null): void }) {
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const [epoch, setEpoch] = useState(0);

  const desk = useMemo(
    () =>
      createDeskClient({
        token: session.token,
        onConnection(state, wasRetry) {
          setConnection(state);
          if (state === 'connected' && wasRetry) setEpoch((n) => n + 1);
        },
        onUnauthenticated: () => onEnd(EXPIRED),
        onSocketRefused: () => undefined,
      }),
    [session.token, onEnd],
  );
  useEffect(() => () => desk.dispose(), [desk]);

  // Sessions carry their expiry: go back to sign-in when it passes.
  useEffect(() => {
    if (!session.expiresAt) return;
    const ms = Date.parse(session.expiresAt) - Date.now();
    const timer = setTimeout(() => onEnd(EXPIRED), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    return () => clearTimeout(timer);
  }, [session.expiresAt, onEnd]);

  return (
    <Provider value={desk.client}>
      <LiveProvider epoch={epoch}>
        <Console connection={connection} onSignOut={() => onEnd(null)} />
      </LiveProvider>
    </Provider>
  );
}
