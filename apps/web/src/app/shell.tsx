import { useState } from 'react';
import { Link, NavLink, Outlet } from 'react-router';
import { Button } from '../ui/button.tsx';
import { ErrorBanner } from '../ui/error-banner.tsx';
import { useAuth } from './auth-context.tsx';
import type { Permission } from './types.ts';

interface NavItem {
  to: string;
  label: string;
  permission: Permission;
}

const NAV: readonly { heading: string; items: readonly NavItem[] }[] = [
  {
    heading: 'Operations',
    items: [
      { to: '/incidents', label: 'Incidents', permission: 'incidents.read' },
      { to: '/oncall', label: 'On-call', permission: 'oncall.read' },
      { to: '/postmortems', label: 'Postmortems', permission: 'postmortems.read' },
      { to: '/action-items', label: 'Action items', permission: 'postmortems.read' },
      { to: '/releases', label: 'Releases', permission: 'releases.read' },
      { to: '/dora', label: 'DORA metrics', permission: 'dora.read' },
      { to: '/workflow', label: 'Workflow', permission: 'workflow.read' },
      { to: '/flags', label: 'Feature flags', permission: 'flags.read' },
      { to: '/security', label: 'Security', permission: 'security.read' },
    ],
  },
  {
    heading: 'Catalog',
    items: [
      { to: '/teams', label: 'Teams', permission: 'catalog.read' },
      { to: '/people', label: 'People', permission: 'catalog.read' },
      { to: '/services', label: 'Services', permission: 'catalog.read' },
    ],
  },
  {
    heading: 'Administration',
    items: [
      { to: '/audit', label: 'Audit log', permission: 'audit.read' },
      { to: '/tokens', label: 'API tokens', permission: 'tokens.manage' },
      { to: '/policy', label: 'Policy', permission: 'policy.read' },
    ],
  },
];

/** The signed-in layout: top bar (product, user, log out), side navigation, and the page. */
export function Shell() {
  const auth = useAuth();
  const [logoutError, setLogoutError] = useState<unknown>(null);
  const user = auth.session?.user ?? null;
  const name = user?.name ?? auth.session?.principal?.name ?? 'Signed in';

  async function logout() {
    setLogoutError(null);
    try {
      await auth.logout();
    } catch (error) {
      setLogoutError(error);
    }
  }

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/teams" className="brand" aria-label="engops home">
          <span className="brand-mark" aria-hidden="true">
            e
          </span>
          engops
        </Link>
        <div className="topbar-user">
          <span className="topbar-name">
            {name}
            {user?.role ? <span className="badge">{user.role}</span> : null}
          </span>
          <Button small onClick={logout}>
            Log out
          </Button>
        </div>
      </header>
      <nav className="sidebar" aria-label="Main">
        {NAV.map((group) => {
          const items = group.items.filter((item) => auth.can(item.permission));
          if (items.length === 0) return null;
          return (
            <div key={group.heading} className="nav-group">
              <h2 className="nav-heading">{group.heading}</h2>
              <ul>
                {items.map((item) => (
                  <li key={item.to}>
                    <NavLink
                      to={item.to}
                      className={({ isActive }) => (isActive ? 'nav-link active' : 'nav-link')}
                    >
                      {item.label}
                    </NavLink>
                  </li>
                ))}
              </ul>
            </div>
          );
        })}
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        <ErrorBanner error={logoutError} />
        <Outlet />
      </main>
    </div>
  );
}
