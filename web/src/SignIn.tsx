// Sign-in: email and password (a session that expires), or an access token
// (the bootstrap admin's ADMIN_TOKEN, or an API token), checked with a viewer
// query before it is kept.
import { useState, type FormEvent } from 'react';
import { CheckToken, createAnonymousClient } from './api/client';
import { describeError, errorCode } from './api/errors';
import { graphql } from './gql';
import type { Session } from './session';

const SignInMutation = graphql(`
  mutation SignIn($email: String!, $password: String!) {
    signIn(email: $email, password: $password) {
      token
      expiresAt
    }
  }
`);

export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn(session: Session): void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [accessToken, setAccessToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function withPassword() {
    const result = await createAnonymousClient().mutation(SignInMutation, { email: email.trim(), password }).toPromise();
    if (result.data) return onSignedIn({ token: result.data.signIn.token, expiresAt: result.data.signIn.expiresAt });
    if (!result.error) return setError('Sign-in failed.');
    const code = errorCode(result.error);
    if (code === 'UNAUTHENTICATED') return setError('That email and password do not match an active agent.');
    if (code === 'RATE_LIMITED') {
      const retryAfter = result.error.graphQLErrors[0]?.extensions?.retryAfter;
      return setError(`Too many attempts: try again in ${typeof retryAfter === 'number' ? `${Math.ceil(retryAfter)} s` : 'a moment'}.`);
    }
    setError(describeError(result.error));
  }

  async function withToken(token: string) {
    const result = await createAnonymousClient()
      .query(CheckToken, {}, { fetchOptions: { headers: { authorization: `Bearer ${token}` } } })
      .toPromise();
    if (result.error) setError(result.error.response?.status === 401 ? 'That access token is not valid.' : describeError(result.error));
    else onSignedIn({ token, expiresAt: null });
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const token = accessToken.trim();
    if (!token && !(email.trim() && password)) {
      setError('Enter your email and password, or an access token.');
      return;
    }
    setBusy(true);
    try {
      await (token ? withToken(token) : withPassword());
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
          Email
          <input type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <p className="or">or</p>
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
