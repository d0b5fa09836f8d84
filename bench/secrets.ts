/**
 * Secret scanning, engops vs secretlint (preset-recommend), on the same labelled corpus and in the
 * same run: recall (positive samples reported), false positives (look-alike samples reported) and
 * files per second, both scanning file contents in memory (no disk I/O in the timing). A second
 * table scans this repository's own text files with both tools (findings there are false
 * positives: the repository holds no secrets).
 *
 *   node --import tsx bench/secrets.ts [--seeds 5] [--rounds 5]
 *
 * The corpus is generated (apps/server/src/modules/security/secrets/test-corpus.ts): keys with each
 * provider's shape and random bodies, and look-alikes. A sample counts as found when the tool
 * reports anything on it; for engops the stricter "expected rule found" recall is shown too.
 *
 * secretlint's engine records performance marks for every file and handles them in a
 * PerformanceObserver callback, after lintSource has returned; the in-process timing waits for that
 * callback (setImmediate) after each file and clears Node's mark buffer, so the deferred work is
 * counted and does not pile up across rounds. A third table runs both command lines end to end on
 * the corpus written to a temp directory (process start included), as users run them.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { lintSource } from '@secretlint/core';
import { creator as recommended } from '@secretlint/secretlint-rule-preset-recommend';
import { SecretScanner } from '../apps/server/src/modules/security/secrets/scanner.ts';
import { buildCorpus, type CorpusSample } from '../apps/server/src/modules/security/secrets/test-corpus.ts';
import { listFiles } from '../apps/server/src/modules/security/secrets/working-tree.ts';
import { writeResults } from './results-file.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

interface Tool {
  name: string;
  /** Rule ids reported on one file. */
  scan(sample: { file: string; content: string }): Promise<string[]>;
}

const engopsScanner = new SecretScanner();
const engops: Tool = {
  name: 'engops',
  scan: async ({ file, content }) => engopsScanner.scanText(content, file).map((f) => f.rule),
};

const secretlintConfig = {
  rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: recommended }],
};
const secretlint: Tool = {
  name: 'secretlint',
  scan: async ({ file, content }) => {
    const result = await lintSource({
      source: { content, filePath: file, ext: path.extname(file), contentType: 'text' },
      options: { config: secretlintConfig as never, maskSecrets: true, noPhysicFilePath: true },
    });
    // Let secretlint's profiler observer run now (inside the timing), then drop Node's marks.
    await new Promise((resolve) => setImmediate(resolve));
    performance.clearMarks();
    performance.clearMeasures();
    return result.messages.map((m) => m.ruleId);
  },
};

interface Quality {
  tool: string;
  positives: number;
  found: number;
  recall: number;
  expected_rule_recall: number | null;
  negatives: number;
  false_positives: number;
  /** The first pass over the corpus (fresh process state). */
  files_per_second: number;
  /** `rounds` more passes, after the own-tree scan (secretlint's profiler state keeps growing). */
  repeated_files_per_second: number;
  missed: string[];
  false_positive_files: string[];
}

async function measure(tool: Tool, corpus: CorpusSample[]): Promise<Quality> {
  let found = 0;
  let expectedPairs = 0;
  let expectedFound = 0;
  let falsePositives = 0;
  const missed = new Set<string>();
  const fpFiles = new Set<string>();
  const firstStart = performance.now();
  for (const sample of corpus) {
    const rules = await tool.scan(sample);
    if (sample.expect.length > 0) {
      if (rules.length > 0) found += 1;
      else missed.add(sample.file);
      for (const rule of sample.expect) {
        expectedPairs += 1;
        if (rules.includes(rule)) expectedFound += 1;
      }
    } else if (rules.length > 0) {
      falsePositives += 1;
      fpFiles.add(sample.file);
    }
  }
  const firstSeconds = (performance.now() - firstStart) / 1000;
  const positives = corpus.filter((s) => s.expect.length > 0).length;
  return {
    tool: tool.name,
    positives,
    found,
    recall: found / positives,
    expected_rule_recall: tool === engops ? expectedFound / expectedPairs : null,
    negatives: corpus.length - positives,
    false_positives: falsePositives,
    files_per_second: Math.round(corpus.length / firstSeconds),
    repeated_files_per_second: 0,
    missed: [...missed].sort(),
    false_positive_files: [...fpFiles].sort(),
  };
}

async function repeated(tool: Tool, corpus: CorpusSample[], rounds: number): Promise<number> {
  const start = performance.now();
  for (let round = 0; round < rounds; round += 1) for (const sample of corpus) await tool.scan(sample);
  return Math.round((corpus.length * rounds) / ((performance.now() - start) / 1000));
}

async function ownTree(tool: Tool, files: Array<{ file: string; content: string }>) {
  let findings = 0;
  const start = performance.now();
  for (const file of files) findings += (await tool.scan(file)).length;
  const seconds = (performance.now() - start) / 1000;
  return {
    tool: tool.name,
    files: files.length,
    findings,
    files_per_second: Math.round(files.length / seconds),
  };
}

const seeds = option('seeds', 5);
const rounds = option('rounds', 5);
const corpus = Array.from({ length: seeds }, (_, i) => buildCorpus(20261128 + i)).flatMap((samples, i) =>
  samples.map((s) => ({ ...s, file: `seed${i}/${s.file}` })),
);

const quality: Quality[] = [];
for (const tool of [secretlint, engops]) quality.push(await measure(tool, corpus));

const tree: Array<{ file: string; content: string }> = [];
for (const file of await listFiles(ROOT)) {
  if (file.startsWith('bench/results/')) continue;
  const full = path.join(ROOT, file);
  const stat = fs.statSync(full, { throwIfNoEntry: false });
  if (!stat?.isFile() || stat.size > 1024 * 1024) continue;
  const content = fs.readFileSync(full);
  if (content.subarray(0, 8000).includes(0)) continue;
  tree.push({ file, content: content.toString('utf8') });
}
const own = [await ownTree(secretlint, tree), await ownTree(engops, tree)];
for (const [i, tool] of [secretlint, engops].entries()) {
  const q = quality[i];
  if (q) q.repeated_files_per_second = await repeated(tool, corpus, rounds);
}

/** Both command lines on the corpus written to disk: wall time per run, process start included. */
function endToEnd(): Array<{
  tool: string;
  files: number;
  seconds: number;
  files_per_second: number;
  exit_code: number | null;
}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-secrets-bench-'));
  try {
    for (const sample of corpus) {
      fs.mkdirSync(path.dirname(path.join(dir, sample.file)), { recursive: true });
      fs.writeFileSync(path.join(dir, sample.file), sample.content);
    }
    const rc = JSON.stringify({ rules: [{ id: '@secretlint/secretlint-rule-preset-recommend' }] });
    const runs = [
      {
        tool: 'secretlint',
        args: [
          path.join(ROOT, 'node_modules/secretlint/bin/secretlint.js'),
          '**/*',
          '--secretlintrcJSON',
          rc,
          '--format',
          'json',
        ],
      },
      {
        tool: 'engops',
        args: [path.join(ROOT, 'apps/cli/bin/engops.js'), 'scan', 'secrets', '.', '--format', 'json'],
      },
    ];
    return runs.map(({ tool, args }) => {
      const start = performance.now();
      const result = spawnSync(process.execPath, args, {
        cwd: dir,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      const seconds = (performance.now() - start) / 1000;
      return {
        tool,
        files: corpus.length,
        seconds: Number(seconds.toFixed(2)),
        files_per_second: Math.round(corpus.length / seconds),
        exit_code: result.status,
      };
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const cli = endToEnd();

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
console.log(`Labelled corpus: ${corpus.length} files (${seeds} seeds), ${rounds} timed rounds each\n`);
console.log(
  'tool        recall (samples)   expected-rule recall   false positives   files/s (1st pass)   files/s (repeated)',
);
for (const q of quality) {
  console.log(
    `${q.tool.padEnd(11)} ${`${pct(q.recall)} (${q.found}/${q.positives})`.padEnd(18)} ${(q.expected_rule_recall === null ? 'n/a' : pct(q.expected_rule_recall)).padEnd(22)} ${`${q.false_positives}/${q.negatives}`.padEnd(17)} ${String(q.files_per_second).padEnd(20)} ${q.repeated_files_per_second}`,
  );
}
for (const q of quality) {
  const missedKinds = [...new Set(q.missed.map((f) => f.replace(/^seed\d+\//, '')))];
  const fpKinds = [...new Set(q.false_positive_files.map((f) => f.replace(/^seed\d+\//, '')))];
  console.log(`\n${q.tool} missed: ${missedKinds.join(', ') || 'none'}`);
  console.log(`${q.tool} false positives on: ${fpKinds.join(', ') || 'none'}`);
}
console.log(`\nThis repository's text files (no secrets; every finding is a false positive):`);
for (const o of own)
  console.log(`${o.tool.padEnd(11)} ${o.files} files, ${o.findings} findings, ${o.files_per_second} files/s`);

console.log('\nCommand lines on the corpus on disk (process start included):');
for (const c of cli)
  console.log(
    `${c.tool.padEnd(11)} ${c.files} files in ${c.seconds} s, ${c.files_per_second} files/s (exit ${c.exit_code})`,
  );

const file = writeResults('secrets', {
  node: process.version,
  seeds,
  rounds,
  corpus_files: corpus.length,
  quality: quality.map(({ missed, false_positive_files, ...rest }) => ({
    ...rest,
    missed: [...new Set(missed.map((f) => f.replace(/^seed\d+\//, '')))],
    false_positive_files: [...new Set(false_positive_files.map((f) => f.replace(/^seed\d+\//, '')))],
  })),
  own_tree: own,
  command_line: cli,
});
console.log(`\nresults: ${path.relative(ROOT, file)}`);
