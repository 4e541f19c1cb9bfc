// Admin pages: agents and integrations (with dead letters).
import { Link, Route, Switch, useLocation } from 'wouter';
import { Agents } from './Agents';
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
      </nav>
      <Switch>
        <Route path="/integrations">
          <Integrations />
        </Route>
        <Route>
          <Agents />
        </Route>
      </Switch>
    </main>
  );
}
