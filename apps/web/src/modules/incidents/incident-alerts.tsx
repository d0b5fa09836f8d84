import type { Alert } from '../../app/types.ts';
import { TimeStamp } from './incident-bits.tsx';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Only http(s) links from alert payloads become clickable (never javascript: or data: URLs). */
export function safeHref(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  return JSON.stringify(value);
}

/** A label or annotation set as a two-column list (name, value). */
function Pairs({ title, values }: { title: string; values: Json }) {
  const entries = Object.entries(values);
  if (entries.length === 0) return null;
  return (
    <div className="alert-pairs">
      <h4>{title}</h4>
      <dl>
        {entries.map(([name, value]) => {
          const href = safeHref(value);
          return (
            <div key={name}>
              <dt className="mono">{name}</dt>
              <dd>
                {href ? (
                  <a href={href} target="_blank" rel="noreferrer noopener">
                    {href}
                  </a>
                ) : (
                  asText(value)
                )}
              </dd>
            </div>
          );
        })}
      </dl>
    </div>
  );
}

interface AlertLink {
  href: string;
  text: string;
}

/** The links of an alert: its runbook first, then the sender's links (generatorURL, dashboards, client_url). */
export function alertLinks(alert: Alert): AlertLink[] {
  const details = isObject(alert.details) ? alert.details : {};
  const out: AlertLink[] = [];
  const seen = new Set<string>();
  const add = (href: string | null, text: string) => {
    if (!href || seen.has(href)) return;
    seen.add(href);
    out.push({ href, text });
  };
  const annotations = isObject(details.annotations) ? details.annotations : {};
  add(safeHref(details.runbook_url ?? annotations.runbook_url), 'Runbook');
  if (Array.isArray(alert.links)) {
    for (const link of alert.links) {
      if (!isObject(link)) continue;
      add(safeHref(link.href), typeof link.text === 'string' && link.text ? link.text : 'Link');
    }
  }
  add(
    safeHref(details.client_url),
    typeof details.client === 'string' && details.client ? details.client : 'Sender',
  );
  return out;
}

function AlertCard({ alert, now }: { alert: Alert; now: number }) {
  const details = isObject(alert.details) ? alert.details : {};
  const labels = isObject(details.labels) ? details.labels : null;
  const annotations = isObject(details.annotations) ? details.annotations : null;
  const custom = isObject(details.custom_details) ? details.custom_details : null;
  const links = alertLinks(alert);
  return (
    <article className="alert-card" aria-label={`Alert: ${alert.summary}`}>
      <header className="alert-card-header">
        <h3>{alert.summary}</h3>
        <span className="button-row">
          <span className={`pill alert-status alert-status-${alert.status}`}>{alert.status}</span>
          <span className="pill">{alert.severity}</span>
          {alert.suppressed ? <span className="pill">maintenance</span> : null}
        </span>
      </header>
      <dl className="facts alert-facts">
        <div>
          <dt>Events</dt>
          <dd>
            {alert.event_count} {alert.event_count === 1 ? 'event' : 'events'}
          </dd>
        </div>
        <div>
          <dt>First seen</dt>
          <dd>
            <TimeStamp iso={alert.first_seen_at} now={now} inline />
          </dd>
        </div>
        <div>
          <dt>Last seen</dt>
          <dd>
            <TimeStamp iso={alert.last_seen_at} now={now} inline />
          </dd>
        </div>
        {alert.source ? (
          <div>
            <dt>Source</dt>
            <dd className="mono">{alert.source}</dd>
          </div>
        ) : null}
        <div>
          <dt>Dedup key</dt>
          <dd className="mono">{alert.dedup_key}</dd>
        </div>
      </dl>
      {links.length > 0 ? (
        <ul className="alert-links">
          {links.map((l) => (
            <li key={l.href}>
              <a href={l.href} target="_blank" rel="noreferrer noopener">
                {l.text}
                <span className="visually-hidden"> (opens in a new tab)</span>
              </a>
            </li>
          ))}
        </ul>
      ) : null}
      {labels ? <Pairs title="Labels" values={labels} /> : null}
      {annotations ? <Pairs title="Annotations" values={annotations} /> : null}
      {custom ? <Pairs title="Custom details" values={custom} /> : null}
      {Object.keys(details).length > 0 ? (
        <details className="alert-raw">
          <summary>All details</summary>
          <pre className="code-block">{JSON.stringify(details, null, 2)}</pre>
        </details>
      ) : null}
    </article>
  );
}

export function IncidentAlerts({ alerts, now }: { alerts: readonly Alert[]; now: number }) {
  if (alerts.length === 0) {
    return <p className="muted">No alerts: this incident was declared by hand.</p>;
  }
  return (
    <div className="alert-list">
      {alerts.map((a) => (
        <AlertCard key={a.id} alert={a} now={now} />
      ))}
    </div>
  );
}
