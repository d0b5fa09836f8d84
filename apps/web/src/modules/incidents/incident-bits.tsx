import { useEffect, useRef, useState } from 'react';
import { cx, formatDateTime } from '../../app/format.ts';
import type { IncidentSeverity, IncidentStatus } from '../../app/types.ts';
import { Button } from '../../ui/button.tsx';
import { formatRelative, STATUS_LABEL } from './incident-format.ts';
import { useSeverityInfo } from './use-severity-info.ts';

export function SeverityBadge({ severity }: { severity: IncidentSeverity }) {
  const severityInfo = useSeverityInfo();
  const info = severityInfo[severity];
  return (
    <span className={cx('pill', 'sev', `sev-${severity.toLowerCase()}`)} title={info.description}>
      {info.label}
      <span className="visually-hidden">: {info.description}</span>
    </span>
  );
}

export function StatusBadge({ status }: { status: IncidentStatus }) {
  return (
    <span className={cx('pill', 'incident-status', `incident-status-${status}`)}>{STATUS_LABEL[status]}</span>
  );
}

/** A time as "5 minutes ago" with the absolute date and time beside it (or only in the tooltip). */
export function TimeStamp({
  iso,
  now,
  inline = false,
}: {
  iso: string | null | undefined;
  now: number;
  inline?: boolean;
}) {
  if (!iso) return <span className="muted">—</span>;
  const absolute = formatDateTime(iso);
  if (inline) {
    return (
      <time dateTime={iso} title={absolute}>
        {formatRelative(iso, now)}
      </time>
    );
  }
  return (
    <time dateTime={iso} className="timestamp" title={iso}>
      <span>{formatRelative(iso, now)}</span>
      <span className="timestamp-absolute">{absolute}</span>
    </time>
  );
}

/**
 * Copies `value` to the clipboard and says so; where the browser refuses, it says how to copy
 * by hand instead.
 */
export function CopyButton({
  value,
  label,
  small = true,
}: {
  value: string;
  label: string;
  small?: boolean;
}) {
  const [message, setMessage] = useState('');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setMessage('Copied');
    } catch {
      setMessage('Copying is not allowed here: select the text and press Ctrl+C');
    }
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setMessage(''), 4000);
  }

  return (
    <span className="copy">
      <Button small={small} onClick={copy} aria-label={label}>
        Copy
      </Button>
      <span className="copy-status" role="status">
        {message}
      </span>
    </span>
  );
}
