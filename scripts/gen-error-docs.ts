/**
 * Renders docs/errors.md from the error catalogue (packages/contracts/src/errors.ts).
 *
 *   node --import tsx scripts/gen-error-docs.ts          writes docs/errors.md
 *   node --import tsx scripts/gen-error-docs.ts --check  exits 1 when docs/errors.md is stale
 *
 * packages/contracts/src/errors-doc.test.ts renders the same text in memory and compares, so the
 * catalogue and its documentation cannot drift apart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ERROR_CATALOGUE, type ErrorSpec } from '../packages/contracts/src/errors.ts';
import { markdownCell as cell, markdownTable as table } from './markdown-table.ts';

export const ERRORS_DOC_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../docs/errors.md',
);

/** Section titles for the code prefixes we know; a new prefix gets a section named after itself. */
const SECTIONS: Record<string, string> = {
  HTTP: 'Requests (any route)',
  AUTH: 'Authentication and authorisation',
  SETUP: 'First-admin setup',
  CATALOG: 'Catalog: teams, users, services',
  TOKENS: 'API tokens',
  POLICY: 'Organisation policy',
  NOTIFICATIONS: 'Notifications',
  INCIDENTS: 'Incidents',
  ONCALL: 'On-call',
  POSTMORTEMS: 'Postmortems',
  DORA: 'DORA metrics',
  WORKFLOW: 'Development workflow and code review',
  RELEASES: 'Releases',
  FLAGS: 'Feature flags',
  SECURITY: 'Security',
};

export function renderErrorsMarkdown(catalogue: Record<string, ErrorSpec> = ERROR_CATALOGUE): string {
  const groups = new Map<string, Array<[string, ErrorSpec]>>();
  for (const [code, spec] of Object.entries(catalogue)) {
    const prefix = code.split('_')[0] ?? code;
    groups.set(prefix, [...(groups.get(prefix) ?? []), [code, spec]]);
  }
  const lines: string[] = [
    '# Error catalogue',
    '',
    '<!-- Generated from packages/contracts/src/errors.ts by scripts/gen-error-docs.ts. Do not edit by hand:',
    '     run `node --import tsx scripts/gen-error-docs.ts`. A unit test fails when this file is stale. -->',
    '',
    'Every error the API returns is an `application/problem+json` body (RFC 9457) with a stable',
    '`code` from this list. Match on `code`, never on `title` or `detail`: titles and details are for',
    'people and may be reworded; codes are never renamed or reused.',
    '',
    '```json',
    '{',
    '  "type": "/docs/errors#HTTP_VALIDATION_FAILED",',
    '  "title": "Request validation failed",',
    '  "status": 400,',
    '  "detail": "The request has invalid fields.",',
    '  "code": "HTTP_VALIDATION_FAILED",',
    '  "errors": [',
    '    { "path": "body.time_zone", "message": "must be an IANA time zone such as Europe/Berlin or UTC" }',
    '  ],',
    '  "request_id": "req-1a"',
    '}',
    '```',
    '',
    '- `type` links to this catalogue as served by the server itself (`GET /docs/errors#<code>`).',
    '- `errors` is present on validation failures: one entry per field at fault, `path` starting with',
    '  `body`, `query` or `params`.',
    '- `request_id` is the id under which the server logged the request.',
    '- A rejected request writes nothing: validation and permission checks run before any change, and',
    '  a failure inside a change rolls its transaction back.',
    '',
    `${Object.keys(catalogue).length} codes:`,
    '',
  ];
  for (const [prefix, entries] of groups) {
    const rows = entries.map(([code, spec]) => [
      `\`${code}\``,
      String(spec.status),
      cell(spec.title),
      cell(spec.description),
    ]);
    lines.push(
      `## ${SECTIONS[prefix] ?? prefix}`,
      '',
      ...table(['code', 'status', 'title', 'meaning'], rows),
      '',
    );
  }
  return lines.join('\n');
}

function main(): void {
  const text = renderErrorsMarkdown();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(ERRORS_DOC_PATH) ? fs.readFileSync(ERRORS_DOC_PATH, 'utf8') : '';
    if (current !== text) {
      console.error(
        `${path.relative(process.cwd(), ERRORS_DOC_PATH)} is stale; run this script without --check.`,
      );
      process.exit(1);
    }
    console.log(`${path.relative(process.cwd(), ERRORS_DOC_PATH)} is up to date.`);
    return;
  }
  fs.mkdirSync(path.dirname(ERRORS_DOC_PATH), { recursive: true });
  fs.writeFileSync(ERRORS_DOC_PATH, text);
  console.log(
    `wrote ${path.relative(process.cwd(), ERRORS_DOC_PATH)} (${Object.keys(ERROR_CATALOGUE).length} codes)`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
