/**
 * The handbook's postmortem template, pre-filled from an incident and its timeline. Pure: the
 * caller passes the incident, its timeline and the team's IANA time zone.
 */
export const TEMPLATE_HEADINGS = [
  '## Timeline',
  '## Root Cause',
  '## Contributing Factors',
  '## Action Items',
  '## Lessons Learned',
] as const;

export interface TemplateIncident {
  number: number;
  title: string;
  severity: string;
  triggered_at: string;
  mitigated_at: string | null;
  resolved_at: string | null;
  service_name?: string | undefined;
}

export interface TemplateTimelineEntry {
  at: string;
  text: string;
}

function parts(at: Date, timeZone: string): Record<string, string> {
  const fmt = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  });
  return Object.fromEntries(fmt.formatToParts(at).map((p) => [p.type, p.value]));
}

/** `HH:MM` of an instant in `timeZone`. */
export function clockTime(at: string, timeZone: string): string {
  const p = parts(new Date(at), timeZone);
  return `${p.hour}:${p.minute}`;
}

/** `YYYY-MM-DD HH:MM <zone>` of an instant in `timeZone`. */
export function localDateTime(at: string, timeZone: string): string {
  const p = parts(new Date(at), timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${p.timeZoneName ?? timeZone}`;
}

/** A human duration: `45 min`, `2 h 5 min`, `1 d 3 h`. */
export function humanDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  return `${m} min`;
}

/** One line of Markdown: no newlines (a timeline text must not open a new heading). */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

export function buildPostmortemTemplate(
  incident: TemplateIncident,
  timeline: TemplateTimelineEntry[],
  timeZone: string,
): string {
  const end = incident.resolved_at ?? incident.mitigated_at;
  const endLabel = incident.resolved_at ? 'resolved' : 'mitigated';
  const duration = end
    ? `${humanDuration(Date.parse(end) - Date.parse(incident.triggered_at))} (triggered ${localDateTime(
        incident.triggered_at,
        timeZone,
      )}, ${endLabel} ${localDateTime(end, timeZone)})`
    : 'ongoing';
  const sorted = [...timeline].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const lines = [
    `# Incident: ${oneLine(incident.title)}`,
    '',
    `Date: ${localDateTime(incident.triggered_at, timeZone).slice(0, 10)} (${timeZone})`,
    `Duration: ${duration}`,
    `Impact: ${incident.severity}${incident.service_name ? ` on ${incident.service_name}` : ''}, incident #${incident.number}. _Who was affected, how, and how many?_`,
    '',
    '## Timeline',
    '',
    ...sorted.map((e) => `- ${clockTime(e.at, timeZone)} — ${oneLine(e.text)}`),
    '',
    '## Root Cause',
    '',
    '_What in the system allowed this to happen? Describe mechanisms, not people._',
    '',
    '## Contributing Factors',
    '',
    '_What made it more likely, larger or slower to detect and fix?_',
    '',
    '## Action Items',
    '',
    '_One line per item: `- [ ] what to change (@owner, due YYYY-MM-DD)`_',
    '',
    '## Lessons Learned',
    '',
    '_What went well, what went badly, where we got lucky._',
    '',
  ];
  return lines.join('\n');
}
