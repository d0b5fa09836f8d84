import { createHash } from 'node:crypto';
import { shannonEntropy } from './entropy.ts';
import { BUILTIN_RULES, type SecretRule } from './rules.ts';

/** A secret found: where, by which rule, and never the secret itself (only a redacted prefix). */
export interface Finding {
  rule: string;
  description: string;
  /** Path relative to the scanned root, with forward slashes. */
  file: string;
  /** 1-based line and column of the match. */
  line: number;
  column: number;
  /** The commit that added the line (history scans). */
  commit?: string;
  author?: string;
  date?: string;
  /** sha256 hex of `rule:file:secret`: stable across scans, reveals nothing. */
  fingerprint: string;
  /** The first characters of the secret and an ellipsis. */
  redacted: string;
}

/** A line to scan with its 1-based number in the file. */
export interface NumberedLine {
  text: string;
  line: number;
}

export interface CommitInfo {
  commit?: string;
  author?: string;
  date?: string;
}

/** The comment that silences every rule on its line. */
export const SUPPRESS_MARKER = 'engops:allow-secret';

/** Lines longer than this are scanned up to this length only (minified bundles, data). */
export const MAX_LINE_LENGTH = 20_000;

const PLACEHOLDERS: readonly RegExp[] = [
  /example/i,
  /x{4,}/i,
  /\*{3,}/,
  /\.{3}|…/,
  /\$\{[^}]*\}?/,
  /^\$[A-Za-z_(]/,
  /^%[A-Za-z_(]/,
  /\{\{.*\}\}/,
  /<[^>\s]*>?/,
  /^<|>$/,
  /(?:^|[_-])(?:your|my)[_-]/i,
  /placeholder|changeme|change[_-]me|redacted|dummy|not[_-]?a[_-]?real|insert[_-]?(?:key|token|here)/i,
  /(.)\1{7,}/,
];

/** Runs of 8 consecutive ascending characters (abcdefgh, 12345678): typed by hand, not generated. */
function hasSequentialRun(text: string, run = 8): boolean {
  let length = 1;
  for (let i = 1; i < text.length; i += 1) {
    length = text.charCodeAt(i) === text.charCodeAt(i - 1) + 1 ? length + 1 : 1;
    if (length >= run) return true;
  }
  return false;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Words joined by separators, maybe ending in a short number: `another-password-1`, `prod/db/name`. */
const WORDS = /^[A-Za-z]+(?:[-_./:+][A-Za-z]+)*(?:[-_.]?\d{1,4})?$/;
const URL_VALUE = /^[a-z][a-z0-9+.-]*:\/\/|[&?][A-Za-z_]\w*=/i;
const DOTTED_IDENTIFIER = /^[A-Za-z_$][\w$]*(?:(?:\.|\?\.|::)[A-Za-z_$][\w$]*)+(?:\(\)?)?$/;
const CODE =
  /[()[\]{}]|^(?:process\.env|os\.environ|env\.|import\.meta|this\.|self\.|new\s)|^(?:\/|\.\/|~\/|[A-Za-z]:\\)/;

/** True when `secret` looks like a placeholder, an example or (for generic rules) code or words. */
export function isPlaceholder(secret: string, rule: Pick<SecretRule, 'allow' | 'generic'>): boolean {
  if (PLACEHOLDERS.some((pattern) => pattern.test(secret))) return true;
  if (hasSequentialRun(secret)) return true;
  if (rule.allow?.some((pattern) => pattern.test(secret))) return true;
  if (rule.generic) {
    if (
      UUID.test(secret) ||
      WORDS.test(secret) ||
      URL_VALUE.test(secret) ||
      DOTTED_IDENTIFIER.test(secret) ||
      CODE.test(secret)
    )
      return true;
    if (/^(?:true|false|null|none|undefined|nil)$/i.test(secret)) return true;
  }
  return false;
}

export function fingerprintOf(rule: string, file: string, secret: string): string {
  return createHash('sha256').update(`${rule}:${file}:${secret}`).digest('hex');
}

/** The first 4 characters and an ellipsis (fewer for short secrets, so that most stays hidden). */
export function redact(secret: string): string {
  const shown = secret.length >= 16 ? 4 : secret.length >= 8 ? 2 : 0;
  return `${secret.slice(0, shown)}…`;
}

interface CompiledRule {
  rule: SecretRule;
  regex: RegExp;
  keywords: string[];
}

interface Candidate {
  finding: Finding;
  priority: number;
  start: number;
  end: number;
}

export interface ScannerOptions {
  /** The rules to apply, in priority order (default: the built-in set). */
  rules?: readonly SecretRule[];
  /** Files whose relative path matches one of these are not scanned. */
  allowPaths?: readonly RegExp[];
  /** Secrets matching one of these are never reported. */
  allowSecrets?: readonly RegExp[];
}

/**
 * Applies secret rules to text, line by line. Pure: no I/O; callers feed it files, diffs or
 * history. Each finding's position is the start of its secret (or of the match, when the secret
 * sits on a following line).
 */
export class SecretScanner {
  readonly rules: readonly SecretRule[];
  private readonly compiled: CompiledRule[];
  private readonly allowPaths: readonly RegExp[];
  private readonly allowSecrets: readonly RegExp[];

  constructor(options: ScannerOptions = {}) {
    this.rules = options.rules ?? BUILTIN_RULES;
    this.allowPaths = options.allowPaths ?? [];
    this.allowSecrets = options.allowSecrets ?? [];
    this.compiled = this.rules.map((rule) => ({
      rule,
      regex: new RegExp(
        rule.regex.source,
        rule.regex.flags.includes('g') ? rule.regex.flags : `${rule.regex.flags}g`,
      ),
      keywords: rule.keywords.map((k) => k.toLowerCase()),
    }));
  }

  /** Whether a file is skipped by the configured path allowlist. */
  skipsPath(file: string): boolean {
    return this.allowPaths.some((pattern) => pattern.test(file));
  }

  /** Scans a whole text (a file's content). */
  scanText(text: string, file: string, info: CommitInfo = {}): Finding[] {
    const lines = text.split(/\r?\n/).map((line, i) => ({ text: line, line: i + 1 }));
    return this.scanLines(lines, file, info);
  }

  /**
   * Scans lines of one file (all of them, or the added lines of a diff with their new line
   * numbers). Multi-line rules look at the next entries of `lines`.
   */
  scanLines(lines: readonly NumberedLine[], file: string, info: CommitInfo = {}): Finding[] {
    if (this.skipsPath(file)) return [];
    const findings: Finding[] = [];
    for (let index = 0; index < lines.length; index += 1) {
      const current = lines[index];
      if (!current || current.text.includes(SUPPRESS_MARKER)) continue;
      findings.push(...this.scanLine(lines, index, file, info));
    }
    return findings;
  }

  private scanLine(lines: readonly NumberedLine[], index: number, file: string, info: CommitInfo): Finding[] {
    const current = lines[index];
    if (!current) return [];
    const text =
      current.text.length > MAX_LINE_LENGTH ? current.text.slice(0, MAX_LINE_LENGTH) : current.text;
    const lower = text.toLowerCase();
    const candidates: Candidate[] = [];
    this.compiled.forEach(({ rule, regex, keywords }, priority) => {
      if (keywords.length > 0 && !keywords.some((k) => lower.includes(k))) return;
      let haystack = text;
      for (let extra = 1; extra <= (rule.followingLines ?? 0); extra += 1) {
        const next = lines[index + extra];
        if (!next || next.line !== current.line + extra) break;
        haystack += `\n${next.text.slice(0, MAX_LINE_LENGTH)}`;
      }
      regex.lastIndex = 0;
      for (const match of haystack.matchAll(regex)) {
        if (match.index >= text.length) break;
        const secret = match[rule.secretGroup];
        if (!secret) continue;
        const offset = rule.secretGroup === 0 ? 0 : match[0].indexOf(secret);
        const start = match.index + Math.max(offset, 0);
        if (rule.entropy > 0 && shannonEntropy(secret) < rule.entropy) continue;
        if (isPlaceholder(secret, rule) || this.allowSecrets.some((p) => p.test(secret))) continue;
        const column = (start < text.length ? start : match.index) + 1;
        candidates.push({
          priority,
          start,
          end: start + secret.length,
          finding: {
            rule: rule.id,
            description: rule.description,
            file,
            line: current.line,
            column,
            ...(info.commit ? { commit: info.commit } : {}),
            ...(info.author ? { author: info.author } : {}),
            ...(info.date ? { date: info.date } : {}),
            fingerprint: fingerprintOf(rule.id, file, secret),
            redacted: redact(secret),
          },
        });
      }
    });
    // Overlapping secrets on a line: the more specific (earlier) rule wins.
    candidates.sort((a, b) => a.priority - b.priority);
    const kept: Candidate[] = [];
    for (const candidate of candidates) {
      if (kept.some((k) => candidate.start < k.end && k.start < candidate.end)) continue;
      kept.push(candidate);
    }
    return kept.sort((a, b) => a.start - b.start).map((c) => c.finding);
  }
}

/** Orders findings by file, line, column, rule (stable output for reports and tests). */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule),
  );
}
