// Sign-in: an access token (the bootstrap admin's ADMIN_TOKEN, or an API
// token from createAgent) is checked with a viewer query before it is kept.
import { useState, type FormEvent } from 'react';
import { describeError } from './api/errors';
import { createAnonymousClient } from './api/client';
import { graphql } from './gql';
import type { Session } from './session';

const CheckToken = graphql(`
  query CheckToken {
    viewer {
      id
    }
  }
`);

export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn(session: Session): void }) {
  const [accessToken, setAccessToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const token = accessToken.trim();
    if (!token) {
      setError('Enter an access token.');
      return;
    }
    setBusy(true);
    try {
      const result = await createAnonymousClient()
        .query(CheckToken, {}, { fetchOptions: { headers: { authorization: `Bearer ${token}` } } })
        .toPromise();
      if (result.error) setError(result.error.response?.status === 401 ? 'That access token is not valid.' : describeError(result.error));
      else onSignedIn({ token, expiresAt: null });
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="sign-in">
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Support desk</h1>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <label>
          Access token
          <input type="password" autoComplete="off" value={accessToken} onChange={(e) => setAccessToken(e.target.value)} />
        </label>
        <p className="hint">The first admin signs in with the desk's admin token (ADMIN_TOKEN, or the one printed at start-up).</p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
