// Admin pages: agents, integrations (with dead letters), canned responses.
import { Link, Route, Switch, useLocation } from 'wouter';
import { Agents } from './Agents';
import { CannedResponses } from './CannedResponses';
import { Integrations } from './Integrations';

export default function Admin() {
  const [location] = useLocation();
  return (
    <main className="admin">
      <nav aria-label="Admin" className="subnav">
        <Link href="/" aria-current={location === '/' ? 'page' : undefined}>
          Agents
        </Link>
        <Link href="/integrations" aria-current={location === '/integrations' ? 'page' : undefined}>
          Integrations
        </Link>
        <Link href="/canned" aria-current={location === '/canned' ? 'page' : undefined}>
          Canned responses
        </Link>
      </nav>
      <Switch>
        <Route path="/integrations">
          <Integrations />
        </Route>
        <Route path="/canned">
          <CannedResponses />
        </Route>
        <Route>
          <Agents />
        </Route>
      </Switch>
    </main>
  );
}
