// The signed-in console: top bar (desk name, status and load, navigation,
// sign-out), the "Reconnecting…" banner, and the screen for the route.
import { lazy, Suspense, useEffect, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { Link, Redirect, Route, Router, Switch } from 'wouter';
import { useHashLocation } from 'wouter/use-hash-location';
import type { ConnectionState } from '../api/client';
import { graphql } from '../gql';
import type { AgentFieldsFragment } from '../gql/graphql';
import { Inbox } from '../inbox/Inbox';
import { useLiveEvent, useRefetchOnReconnect } from '../live';
import { ErrorMessage } from './ErrorMessage';
import { StatusControl } from './StatusControl';
import { ViewerContext } from './viewer';

const Dashboard = lazy(() => import('../dashboard/Dashboard'));
const Admin = lazy(() => import('../admin/Admin'));

const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      ...AgentFields
    }
    queue {
      length
      oldestQueuedAt
      agentsOnline
    }
  }
`);

const SignOut = graphql(`
  mutation SignOut {
    signOut
  }
`);

export function Console({ connection, onSignOut }: { connection: ConnectionState; onSignOut(): void }) {
  const [{ data, error }, refetch] = useQuery({ query: ViewerQuery });
  const [viewer, setViewer] = useState<AgentFieldsFragment | null>(null);
  const [queueLength, setQueueLength] = useState<number | null>(null);
  const [, signOut] = useMutation(SignOut);

  useEffect(() => {
    if (data) {
      setViewer(data.viewer);
      setQueueLength(data.queue.length);
    }
  }, [data]);
  useLiveEvent('queue', (queue) => setQueueLength(queue.length));
  useRefetchOnReconnect(refetch);
  useLiveEvent('agent', (agent) => {
    if (agent.id === viewer?.id) setViewer(agent);
  });

  if (!viewer) {
    return <main className="loading">{error ? <ErrorMessage error={error} /> : <p>Loading…</p>}</main>;
  }
  const isAdmin = viewer.role === 'ADMIN';
  return (
    <ViewerContext.Provider value={viewer}>
      <Router hook={useHashLocation}>
        <div className="console">
          <header className="top-bar">
            <Link href="/" className="brand">
              Support desk
            </Link>
            <nav aria-label="Main">
              <Link href="/">Inbox</Link>
              <Link href="/dashboard">Dashboard</Link>
              {isAdmin && <Link href="/admin">Admin</Link>}
            </nav>
            <StatusControl viewer={viewer} onChange={setViewer} />
            <span className="load" title="Active conversations / capacity" aria-label={`Load ${viewer.activeConversations} of ${viewer.capacity}`}>
              {viewer.activeConversations} / {viewer.capacity}
            </span>
            {queueLength !== null && (
              <span className="queue-length" aria-label={`${queueLength} waiting in the queue`}>
                Queue {queueLength}
              </span>
            )}
            <span className="who">{viewer.name}</span>
            <button
              type="button"
              className="quiet"
              onClick={async () => {
                // Ends the session server-side too; an API token stays valid (the answer is false).
                await signOut({});
                onSignOut();
              }}
            >
              Sign out
            </button>
          </header>
          {connection === 'reconnecting' && (
            <div className="banner" role="status">
              Reconnecting…
            </div>
          )}
          <Suspense fallback={<p className="loading">Loading…</p>}>
            <Switch>
              <Route path="/">
                <Inbox selectedId={null} />
              </Route>
              <Route path="/c/:id">{(params) => <Inbox selectedId={params.id} />}</Route>
              <Route path="/dashboard">
                <Dashboard />
              </Route>
              {isAdmin && (
                <Route path="/admin" nest>
                  <Admin />
                </Route>
              )}
              <Route>
                <Redirect to="/" />
              </Route>
            </Switch>
          </Suspense>
        </div>
      </Router>
    </ViewerContext.Provider>
  );
}
