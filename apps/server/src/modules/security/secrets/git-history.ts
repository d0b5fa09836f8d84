import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { CommitInfo, Finding, NumberedLine, SecretScanner } from './scanner.ts';

/** A scan that could not run (not a repository, git failed, bad input): exit code 2 in the CLI. */
export class SecretScanError extends Error {
  override readonly name = 'SecretScanError';
}

const COMMIT_MARK = '\x1ecommit\x1f';
const LOG_FORMAT = `${COMMIT_MARK}%H%x1f%an <%ae>%x1f%aI`;

/**
 * Parses unified diff output line by line (from `git log -p` or `git diff`) and hands the added
 * lines of each file, with their new line numbers, to `onAdded`. Commit headers written with
 * LOG_FORMAT switch the current commit.
 */
export class DiffParser {
  private commit: CommitInfo = {};
  private file: string | null = null;
  private inHunk = false;
  private nextLine = 0;
  private added: NumberedLine[] = [];

  constructor(
    private readonly onAdded: (file: string, lines: NumberedLine[], info: CommitInfo) => void,
    private readonly onCommit: (info: CommitInfo) => void = () => {},
  ) {}

  push(line: string): void {
    if (line.startsWith(COMMIT_MARK)) {
      this.flush();
      const [commit = '', author = '', date = ''] = line.slice(COMMIT_MARK.length).split('\x1f');
      this.commit = { commit, author, date };
      this.file = null;
      this.inHunk = false;
      this.onCommit(this.commit);
      return;
    }
    if (
      line.startsWith('diff --git ') ||
      line.startsWith('diff --cc ') ||
      line.startsWith('diff --combined ')
    ) {
      this.flush();
      this.file = null;
      this.inHunk = false;
      return;
    }
    if (!this.inHunk) {
      if (line.startsWith('+++ ')) this.file = parsePath(line.slice(4));
      else if (line.startsWith('@@')) this.startHunk(line);
      return;
    }
    if (line.startsWith('@@')) {
      this.startHunk(line);
    } else if (line.startsWith('+')) {
      if (this.file) this.added.push({ text: line.slice(1), line: this.nextLine });
      this.nextLine += 1;
    } else if (line.startsWith(' ')) {
      this.nextLine += 1;
    } else if (!line.startsWith('-') && !line.startsWith('\\')) {
      // Anything else ends the diff of this file (a blank line before the next commit).
      this.flush();
      this.inHunk = false;
    }
  }

  /** Hands over what is buffered; call once at the end. */
  flush(): void {
    if (this.file && this.added.length > 0) this.onAdded(this.file, this.added, this.commit);
    this.added = [];
  }

  private startHunk(line: string): void {
    const match = /^@@+ (?:-\d+(?:,\d+)? )+\+(\d+)(?:,\d+)? @@/.exec(line);
    this.inHunk = Boolean(match);
    this.nextLine = Number(match?.[1] ?? 0);
  }
}

/** `b/path`, `"b/p\303\244th"` or `/dev/null` -> the path (null when deleted). */
function parsePath(raw: string): string | null {
  let text = raw.replace(/\t.*$/, '');
  if (text === '/dev/null') return null;
  if (text.startsWith('"') && text.endsWith('"')) {
    const bytes: number[] = [];
    const inner = text.slice(1, -1);
    for (let i = 0; i < inner.length; i += 1) {
      const char = inner[i] ?? '';
      if (char === '\\') {
        const octal = /^[0-7]{3}/.exec(inner.slice(i + 1));
        if (octal) {
          bytes.push(Number.parseInt(octal[0], 8));
          i += 3;
          continue;
        }
        const escaped = inner[i + 1] ?? '';
        const map: Record<string, string> = { n: '\n', t: '\t', '"': '"', '\\': '\\' };
        bytes.push(...Buffer.from(map[escaped] ?? escaped));
        i += 1;
        continue;
      }
      bytes.push(...Buffer.from(char));
    }
    text = Buffer.from(bytes).toString('utf8');
  }
  return text.replace(/^[ab]\//, '');
}

export interface GitScanProgress {
  done: number;
  total: number;
}

export interface GitScanResult {
  findings: Finding[];
  commits: number;
}

/** Runs git and returns its stdout, or throws SecretScanError with git's message. */
export function runGit(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', (error) => reject(new SecretScanError(`git could not run: ${error.message}`)));
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new SecretScanError(`git ${args[0]} failed: ${stderr.trim() || `exit code ${code}`}`)),
    );
  });
}

async function streamDiff(
  cwd: string,
  args: string[],
  parser: DiffParser,
  onLine?: () => void,
): Promise<void> {
  const child = spawn('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', (error) => reject(new SecretScanError(`git could not run: ${error.message}`)));
    child.on('close', (code) => resolve(code ?? 1));
  });
  const lines = createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    parser.push(line);
    onLine?.();
  }
  parser.flush();
  const code = await exited;
  if (code !== 0) throw new SecretScanError(`git ${args[0]} failed: ${stderr.trim() || `exit code ${code}`}`);
}

const DIFF_OPTIONS = ['--no-color', '--no-ext-diff', '--unified=0', '--no-textconv'];

/**
 * Scans the added lines of every commit reachable from `rev` (default HEAD), streaming
 * `git log -p` rather than loading the history. A secret added in several commits is reported
 * once, at the oldest commit that added it (where it entered the history).
 */
export async function scanGitHistory(
  repo: string,
  scanner: SecretScanner,
  options: { rev?: string; onProgress?: (progress: GitScanProgress) => void } = {},
): Promise<GitScanResult> {
  const rev = options.rev ?? 'HEAD';
  await runGit(repo, ['rev-parse', '--git-dir']);
  const hasCommits = await runGit(repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]).then(
    () => true,
    () => false,
  );
  if (!hasCommits) return { findings: [], commits: 0 };
  const total = Number((await runGit(repo, ['rev-list', '--count', rev])).trim()) || 0;
  const byFingerprint = new Map<string, Finding>();
  let done = 0;
  const parser = new DiffParser(
    (file, lines, info) => {
      for (const finding of scanner.scanLines(lines, file, info))
        byFingerprint.set(finding.fingerprint, finding);
    },
    () => {
      done += 1;
      options.onProgress?.({ done, total });
    },
  );
  await streamDiff(
    repo,
    ['-c', 'core.quotepath=off', 'log', '-p', ...DIFF_OPTIONS, `--format=${LOG_FORMAT}`, rev, '--'],
    parser,
  );
  return { findings: [...byFingerprint.values()], commits: done };
}

/** Scans the added lines of the staged changes (`git diff --cached`), for a pre-commit hook. */
export async function scanStaged(repo: string, scanner: SecretScanner): Promise<Finding[]> {
  await runGit(repo, ['rev-parse', '--git-dir']);
  const findings: Finding[] = [];
  const parser = new DiffParser((file, lines, info) => {
    findings.push(...scanner.scanLines(lines, file, info));
  });
  await streamDiff(repo, ['-c', 'core.quotepath=off', 'diff', '--cached', ...DIFF_OPTIONS, '--'], parser);
  return findings;
}
