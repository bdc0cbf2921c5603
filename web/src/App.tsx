import { useEffect, useState } from 'react';
import { onUnauthorized } from './api.ts';
import { LiveEventsProvider, useLiveEvents } from './live.tsx';
import { CreateInstance } from './pages/CreateInstance.tsx';
import { InstanceDetail } from './pages/InstanceDetail.tsx';
import { Instances } from './pages/Instances.tsx';
import { Costs } from './pages/Costs.tsx';
import { Providers } from './pages/Providers.tsx';
import { Keys, ProjectSwitcher } from './pages/Keys.tsx';
import { Audit } from './pages/Audit.tsx';
import { Webhooks } from './pages/Webhooks.tsx';
import { Pools } from './pages/Pools.tsx';
import { SshHosts } from './pages/SshHosts.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { href, useRoute, type Route } from './router.ts';
import { session } from './session.ts';

/** The dashboard: the sign-in screen, or the signed-in shell with the session's live event stream. */
export function App() {
  const [key, setKey] = useState<string | null>(() => session.get());
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(
    () =>
      onUnauthorized(() => {
        session.clear();
        setKey(null);
        setNotice('The server rejected your API key (401 Unauthorized). It may have been revoked; sign in again.');
      }),
    [],
  );

  if (!key) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(k) => {
          session.set(k);
          setNotice(null);
          setKey(k);
        }}
      />
    );
  }
  return (
    <LiveEventsProvider key={key}>
      <Shell
        onSignOut={() => {
          session.clear();
          setKey(null);
          setNotice('Signed out.');
        }}
      />
    </LiveEventsProvider>
  );
}

/** The signed-in layout: top bar with navigation and live state, and the current page. */
function Shell({ onSignOut }: { onSignOut: () => void }) {
  const route = useRoute();
  useEffect(() => {
    // Move focus to the page heading on navigation, for keyboard and screen-reader users.
    document.getElementById('main')?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [route.name, route.name === 'instance' ? route.id : '']);
  return (
    <div className="app">
      <a href="#main" className="skip-link" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <a className="brand" href={href.instances()} aria-label="Hangar home">
            <svg viewBox="0 0 32 32" width="26" height="26" aria-hidden="true">
              <rect width="32" height="32" rx="7" fill="currentColor" />
              <path d="M6 22 16 9l10 13z" fill="#fff" />
            </svg>
            <span>Hangar</span>
          </a>
          <nav aria-label="Main" className="nav">
            <NavLink to={href.instances()} active={route.name === 'instances' || route.name === 'instance'} testId="nav-instances">
              Instances
            </NavLink>
            <NavLink to={href.create()} active={route.name === 'create'} testId="nav-create">
              Create
            </NavLink>
            <NavLink to={href.providers()} active={route.name === 'providers'} testId="nav-providers">
              Providers
            </NavLink>
            <NavLink to={href.keys()} active={route.name === 'keys'} testId="nav-keys">
              Keys
            </NavLink>
            <NavLink to={href.audit()} active={route.name === 'audit'} testId="nav-audit">
              Audit
            </NavLink>
            <NavLink to={href.costs()} active={route.name === 'costs'} testId="nav-costs">
              Costs
            </NavLink>
            <NavLink to={href.webhooks()} active={route.name === 'webhooks'} testId="nav-webhooks">
              Webhooks
            </NavLink>
            <NavLink to={href.pools()} active={route.name === 'pools'} testId="nav-pools">
              Pools
            </NavLink>
            <NavLink to={href.sshHosts()} active={route.name === 'ssh-hosts'} testId="nav-ssh-hosts">
              SSH hosts
            </NavLink>
          </nav>
          <div className="topbar-right">
            <ProjectSwitcher />
            <LiveIndicator />
            <button type="button" className="btn btn-ghost btn-small" onClick={onSignOut} data-testid="sign-out">
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="main">
        <Page route={route} />
      </main>
    </div>
  );
}

/** The page for a route. */
function Page({ route }: { route: Route }) {
  switch (route.name) {
    case 'instances':
      return <Instances />;
    case 'create':
      return <CreateInstance />;
    case 'instance':
      return <InstanceDetail key={route.id} id={route.id} />;
    case 'providers':
      return <Providers />;
    case 'keys':
      return <Keys />;
    case 'audit':
      return <Audit />;
    case 'costs':
      return <Costs />;
    case 'webhooks':
      return <Webhooks />;
    case 'pools':
      return <Pools />;
    case 'ssh-hosts':
      return <SshHosts />;
    default:
      return (
        <section className="page">
          <h1>Page not found</h1>
          <p>
            Nothing lives at <code>{route.path}</code>. <a href={href.instances()}>Go to instances</a>.
          </p>
        </section>
      );
  }
}

/** A top-bar link, marked as the current page when active. */
function NavLink({ to, active, children, testId }: { to: string; active: boolean; children: string; testId: string }) {
  return (
    <a href={to} className={`nav-link${active ? ' active' : ''}`} aria-current={active ? 'page' : undefined} data-testid={testId}>
      {children}
    </a>
  );
}

/** The live stream's state in the top bar. */
function LiveIndicator() {
  const { state } = useLiveEvents();
  const label = state === 'open' ? 'Live' : state === 'closed' ? 'Offline' : 'Reconnecting…';
  return (
    <span className={`live live-${state}`} data-testid="live-indicator" data-state={state} role="status" title="Live updates from /v1/events">
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  );
}
