import { NavLink } from 'react-router';

const SECURITY_CSS = `
.security-nav { margin-bottom: 1rem; gap: 0.4rem; }
.security-filters { border: 0; padding: 0; margin: 0 0 1rem; }
.plan-list { display: grid; grid-template-columns: repeat(auto-fill, minmax(22rem, 1fr)); gap: 0.75rem; }
.plan-card { padding: 0.75rem 1rem; background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); }
.plan-card h2 { margin-top: 0; font-size: 1.05rem; }
.plan-items { list-style: none; padding: 0; margin: 0 0 0.75rem; }
.plan-items li { margin: 0.25rem 0; }
`;

const TABS = [
  { to: '/security', label: 'Overview', end: true },
  { to: '/security/findings', label: 'Findings', end: false },
  { to: '/security/access-reviews', label: 'Access reviews', end: false },
  { to: '/security/training', label: 'Training', end: false },
  { to: '/security/response-plans', label: 'Response plans', end: false },
];

/** The security section's pages, as a row of links under the page header. */
export function SecurityNav() {
  return (
    <nav aria-label="Security sections" className="toolbar security-nav">
      {TABS.map((tab) => (
        <NavLink
          key={tab.to}
          to={tab.to}
          end={tab.end}
          className={({ isActive }) =>
            isActive ? 'button button-primary button-small' : 'button button-secondary button-small'
          }
        >
          {tab.label}
        </NavLink>
      ))}
      <style>{SECURITY_CSS}</style>
    </nav>
  );
}

export function SeverityPill({ severity }: { severity: string }) {
  const danger = severity === 'critical' || severity === 'high';
  return <span className={danger ? 'pill pill-revoked' : 'pill'}>{severity}</span>;
}
