import { BLAMELESS_RULE_IDS } from '@engops/contracts';
import { sectionLines } from './action-item-parser.ts';

/**
 * Blameless lint, pure: finds blaming language in a postmortem and suggests a systems framing.
 * Findings guide the writer; they never block publishing. Rules:
 *
 * - phrase rules anywhere in the text: `fault` ("X's fault"), `human-error`, `careless`,
 *   `should-have-known`, `negligent`, `stupid`, `custom-phrase` (the policy's extra phrases), and
 *   `failed-to` when a person is its subject ("The health check failed to fire" is fine);
 * - `person-as-subject` in Root Cause and Contributing Factors: a name, an @handle, a pronoun or
 *   a role ("the on-call engineer") as the subject of a failure verb ("forgot", "broke", "caused").
 *
 * Fenced code blocks are skipped. Any rule can be switched off by id (policy).
 */
export interface LintFinding {
  line: number;
  column: number;
  text: string;
  rule: string;
  message: string;
  suggestion: string;
}

export interface LintOptions {
  /** Names of people (full names and first names) to recognise as subjects. */
  names?: readonly string[];
  extraPhrases?: readonly string[];
  disabledRules?: readonly string[];
  /** Dismissed false positives: findings with this rule and text are left out. */
  dismissed?: ReadonlyArray<{ rule: string; text: string }>;
}

/** Every rule id (the list lives in the contracts, where dismissals validate against it). */
export const BLAMELESS_RULES = BLAMELESS_RULE_IDS;

const SYSTEMS =
  'Make the system the subject: "the deploy pipeline allowed …", "the alert did not fire because …".';

interface PhraseRule {
  rule: string;
  pattern: RegExp;
  message: string;
  suggestion: string;
  personOnly?: boolean;
}

const PHRASES: PhraseRule[] = [
  {
    rule: 'fault',
    pattern: /(?:[@\p{L}][\p{L}\p{N}._-]*['’]s|\b(?:his|her|their|my|your))\s+fault\b/giu,
    message: 'Assigns fault to a person.',
    suggestion: `Describe the conditions that made the failure possible. ${SYSTEMS}`,
  },
  {
    rule: 'human-error',
    pattern: /\bhuman[\s-]+errors?\b/giu,
    message: '"Human error" ends the analysis at a person instead of explaining the system.',
    suggestion:
      'Ask why the system made the mistake easy and its impact large: "the runbook step had no validation".',
  },
  {
    rule: 'careless',
    pattern: /\bcareless(?:ly|ness)?\b/giu,
    message: 'Judges a person instead of describing what happened.',
    suggestion:
      'Describe what the tooling or process did not catch: "nothing checked the value before it was applied".',
  },
  {
    rule: 'should-have-known',
    pattern: /\bshould(?:\s+have|['’]ve)\s+known\b/giu,
    message: 'Hindsight: what is obvious now was not obvious then.',
    suggestion: 'Describe what information was available at the time and why it was hard to see.',
  },
  {
    rule: 'failed-to',
    pattern: /\bfailed\s+to\b/giu,
    message: 'A person is the subject of a failure.',
    suggestion: SYSTEMS,
    personOnly: true,
  },
  {
    rule: 'negligent',
    pattern: /\bneglig(?:ent|ently|ence)\b/giu,
    message: 'Accuses a person of negligence.',
    suggestion: `Describe the missing safeguard. ${SYSTEMS}`,
  },
  {
    rule: 'stupid',
    pattern: /\bstupid(?:ity|ly)?\b/giu,
    message: 'Insulting language has no place in a postmortem.',
    suggestion: 'Describe the decision and the context it was made in.',
  },
];

/** Failure verbs a system can also "do": a person must be the subject to flag them. */
const FAILURE_VERBS =
  /\b(?:forgot(?:ten)?|missed|broke|neglected|ignored|overlooked|didn['’]t|did\s+not|messed\s+up|screwed\s+up|caused|mistakenly|accidentally|deleted|dropped|misconfigured|pushed|deployed|merged)\b/giu;
/** Verbs only people do: any capitalised subject counts. */
const HUMAN_VERBS =
  /^(?:forgot|forgotten|neglected|ignored|overlooked|messed\s+up|screwed\s+up|mistakenly|accidentally)$/iu;

const PRONOUNS = new Set(['he', 'she', 'they', 'i', 'you', 'someone', 'somebody', 'him', 'her']);
const PERSON_NOUNS =
  /(?:^|\s)(?:the\s+|a\s+|an\s+|our\s+|one\s+)?(?:on-?call(?:\s+\w+)?|engineers?|developers?|devs?|operators?|admins?|administrators?|reviewers?|authors?|interns?|sres?|employees?|contractors?|managers?|persons?|people|responders?)$/iu;
const DETERMINERS = new Set([
  'the',
  'a',
  'an',
  'this',
  'that',
  'these',
  'those',
  'our',
  'its',
  'their',
  'it',
  'we',
  'no',
  'nothing',
  'every',
  'each',
  'some',
  'one',
  'after',
  'before',
  'when',
  'while',
  'because',
  'since',
  'then',
  'there',
]);

/** The clause before `index`: from the last sentence boundary or list marker, trimmed. */
function clauseBefore(text: string, index: number): { subject: string; start: number } {
  const before = text.slice(0, index);
  let start = 0;
  const boundary = /[.!?;:—–]\s|\(|\s-\s|,\s(?:and|but|so)\s/g;
  for (let m = boundary.exec(before); m; m = boundary.exec(before)) start = m.index + m[0].length;
  const marker = /^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?/.exec(before.slice(start));
  if (marker) start += marker[0].length;
  const raw = before.slice(start);
  const lead = raw.length - raw.trimStart().length;
  return { subject: raw.trim().replace(/^[*_]+|[*_]+$/g, ''), start: start + lead };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isPerson(subject: string, names: readonly string[], humanVerb: boolean): boolean {
  if (!subject) return false;
  const words = subject.split(/\s+/);
  const first = words[0]!.replace(/['’]s$/u, '');
  if (/^@[\w.+-]+/.test(first)) return true;
  if (PRONOUNS.has(first.toLowerCase())) return true;
  if (PERSON_NOUNS.test(subject)) return true;
  for (const name of names) {
    if (name && new RegExp(`^${escapeRegExp(name)}(?:['’]s)?(?:\\s|$)`, 'u').test(subject)) return true;
  }
  if (humanVerb && words.length <= 3 && /^\p{Lu}/u.test(first) && !DETERMINERS.has(first.toLowerCase()))
    return true;
  return false;
}

/** How a finding's text is compared with dismissals: lower case, single spaces, trimmed. */
export function normaliseFindingText(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

const BLAMING_SECTIONS = new Set(['root cause', 'root causes', 'contributing factors']);

export function lintBlameless(markdown: string, options: LintOptions = {}): LintFinding[] {
  const disabled = new Set(options.disabledRules ?? []);
  const names = (options.names ?? []).filter((n) => n.trim().length >= 2);
  const dismissed = new Set(
    (options.dismissed ?? []).map((d) => `${d.rule}\u0000${normaliseFindingText(d.text)}`),
  );
  const phrases: PhraseRule[] = [
    ...PHRASES,
    ...(options.extraPhrases ?? [])
      .filter((p) => p.trim())
      .map((p) => ({
        rule: 'custom-phrase',
        pattern: new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(p.trim())}(?![\\p{L}\\p{N}])`, 'giu'),
        message: `"${p.trim()}" is on the organisation's list of blaming phrases.`,
        suggestion: SYSTEMS,
      })),
  ];
  const findings: LintFinding[] = [];
  const push = (f: LintFinding) => {
    if (disabled.has(f.rule) || dismissed.has(`${f.rule}\u0000${normaliseFindingText(f.text)}`)) return;
    if (findings.some((x) => x.line === f.line && x.column === f.column && x.rule === f.rule)) return;
    findings.push(f);
  };

  for (const l of sectionLines(markdown)) {
    if (l.code) continue;
    for (const p of phrases) {
      p.pattern.lastIndex = 0;
      for (let m = p.pattern.exec(l.text); m; m = p.pattern.exec(l.text)) {
        if (p.personOnly) {
          const { subject, start } = clauseBefore(l.text, m.index);
          if (!isPerson(subject, names, false)) continue;
          push({
            line: l.line,
            column: start + 1,
            text: `${subject} ${m[0]}`,
            rule: p.rule,
            message: p.message,
            suggestion: p.suggestion,
          });
          continue;
        }
        push({
          line: l.line,
          column: m.index + 1,
          text: m[0],
          rule: p.rule,
          message: p.message,
          suggestion: p.suggestion,
        });
      }
    }
    if (!l.section || !BLAMING_SECTIONS.has(l.section)) continue;
    FAILURE_VERBS.lastIndex = 0;
    for (let m = FAILURE_VERBS.exec(l.text); m; m = FAILURE_VERBS.exec(l.text)) {
      const { subject, start } = clauseBefore(l.text, m.index);
      if (!isPerson(subject, names, HUMAN_VERBS.test(m[0]))) continue;
      push({
        line: l.line,
        column: start + 1,
        text: `${subject} ${m[0]}`,
        rule: 'person-as-subject',
        message: 'A person is the subject of a failure; blameless postmortems describe systems.',
        suggestion: SYSTEMS,
      });
    }
  }
  return findings.sort((a, b) => a.line - b.line || a.column - b.column);
}
