// Session gate: the sign-in page without a session; with one, a client bound
// to its token, the live feed, and the console. A refused token (expired,
// revoked) ends the session and returns to sign-in; drafts stay stored.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Provider } from 'urql';
import { CheckToken, createDeskClient, type ConnectionState } from './api/client';
import { LiveProvider } from './live';
import { Console } from './shell/Console';
import { SignIn } from './SignIn';
import { clearSession, loadSession, saveSession, type Session } from './session';

const EXPIRED = 'Your session has ended: sign in again. Anything you were typing is kept.';

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [notice, setNotice] = useState<string | null>(null);

  // Only the session that ended is cleared: a late 401 from the previous client must not end the next one.
  const end = useCallback((token: string, message: string | null) => {
    setSession((current) => {
      if (current?.token !== token) return current;
      clearSession();
      setNotice(message);
      return null;
    });
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

function SignedIn({ session, onEnd: endSession }: { session: Session; onEnd(token: string, message: string | null): void }) {
  const onEnd = useCallback((message: string | null) => endSession(session.token, message), [endSession, session.token]);
  const [connection, setConnection] = useState<ConnectionState>('connecting');
  const [epoch, setEpoch] = useState(0);
  // A refused socket may mean the session is over, or only a connection cap: ask over HTTP, whose 401 ends the session.
  const checkSession = useRef(() => undefined as void);

  const desk = useMemo(
    () =>
      createDeskClient({
        token: session.token,
        onConnection(state, wasRetry) {
          setConnection(state);
          if (state === 'connected' && wasRetry) setEpoch((n) => n + 1);
        },
        onUnauthenticated: () => onEnd(EXPIRED),
        onSocketRefused: () => checkSession.current(),
      }),
    [session.token, onEnd],
  );
  useEffect(() => () => desk.dispose(), [desk]);
  checkSession.current = () => void desk.client.query(CheckToken, {}, { requestPolicy: 'network-only' }).toPromise();

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
