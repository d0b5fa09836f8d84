import type {
  ActionItem,
  githubTrackerViewSchema,
  LintDismissal,
  LintFinding,
  missingPostmortemsSchema,
  Postmortem,
  PostmortemSearchHit,
  PostmortemSummary,
  postmortemLintSchema,
  postmortemStatsSchema,
} from '@engops/contracts';
import type { z } from 'zod';

/** Response shapes of the postmortems API, inferred from the shared contracts (types only). */
export type { ActionItem, LintDismissal, LintFinding, Postmortem, PostmortemSearchHit, PostmortemSummary };
export type PostmortemLint = z.infer<typeof postmortemLintSchema>;
export type GithubSettings = z.infer<typeof githubTrackerViewSchema>;
export type MissingPostmortems = z.infer<typeof missingPostmortemsSchema>;
export type PostmortemStats = z.infer<typeof postmortemStatsSchema>;

export const POSTMORTEM_STATUS_LABEL: Record<Postmortem['status'], string> = {
  draft: 'Draft',
  in_review: 'In review',
  published: 'Published',
};

export const ACTION_ITEM_STATUS_LABEL: Record<ActionItem['status'], string> = {
  open: 'Open',
  in_progress: 'In progress',
  done: 'Done',
  wont_do: "Won't do",
};

/** `- HH:MM — text` for a timeline entry, in `timeZone` (the team's). */
export function timelineLine(at: string, text: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(at));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '00';
  return `- ${get('hour')}:${get('minute')} — ${text.replace(/\s*[\r\n]+\s*/g, ' ')}`;
}
