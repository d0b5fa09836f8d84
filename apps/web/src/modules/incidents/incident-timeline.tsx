import { cx, formatDateTime } from '../../app/format.ts';
import type { TimelineEntry } from '../../app/types.ts';
import { formatRelative, timelineKind, withNames } from './incident-format.ts';

/** Every alert event, state change, note, page and role change, oldest first. */
export function IncidentTimeline({
  entries,
  names,
  now,
}: {
  entries: readonly TimelineEntry[];
  names: ReadonlyMap<string, string>;
  now: number;
}) {
  if (entries.length === 0) return <p className="muted">Nothing has happened yet.</p>;
  return (
    <ol className="timeline" aria-label="Timeline">
      {entries.map((entry) => {
        const kind = timelineKind(entry.kind);
        return (
          <li key={entry.id} className={cx('timeline-entry', `timeline-${kind.tone}`)} data-kind={entry.kind}>
            <span className="timeline-icon" aria-hidden="true">
              {kind.icon}
            </span>
            <div className="timeline-body">
              <p className="timeline-meta">
                <time dateTime={entry.at} title={formatRelative(entry.at, now)}>
                  {formatDateTime(entry.at)}
                </time>
                <span className="timeline-kind">{kind.label}</span>
                <span className="timeline-actor">
                  {entry.actor.name}
                  {entry.actor.type === 'token' ? <span className="muted"> (API token)</span> : null}
                </span>
              </p>
              <p className={cx('timeline-text', entry.kind === 'note' && 'timeline-note')}>
                {entry.kind === 'note' ? entry.text : withNames(entry.text, names)}
              </p>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
