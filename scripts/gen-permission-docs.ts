/**
 * Renders docs/permissions.md: every permission of apps/server/src/platform/access/permissions.ts with
 * its lowest role and scope, and every API route under the permission it declares.
 *
 *   node --import tsx scripts/gen-permission-docs.ts          writes docs/permissions.md
 *   node --import tsx scripts/gen-permission-docs.ts --check  exits 1 when docs/permissions.md is stale
 *
 * apps/server/src/http/permissions-doc.int.test.ts renders the same text from a built app and
 * compares, so routes, permissions and their documentation cannot drift apart.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildApp } from '../apps/server/src/app.ts';
import { loadConfig } from '../apps/server/src/config/config.ts';
import { createContainer } from '../apps/server/src/container.ts';
import { registeredRoutes } from '../apps/server/src/http/route.ts';
import { PERMISSIONS } from '../apps/server/src/platform/access/permissions.ts';
import { markdownTable } from './markdown-table.ts';

export const PERMISSIONS_DOC_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../docs/permissions.md',
);

export interface DocumentedRoute {
  readonly method: string;
  readonly url: string;
  readonly summary: string;
  readonly auth: string;
}

const routeLine = (r: DocumentedRoute) => `- \`${r.method} ${r.url}\`: ${r.summary}`;

export function renderPermissionsMarkdown(routes: readonly DocumentedRoute[]): string {
  const byAuth = new Map<string, DocumentedRoute[]>();
  for (const route of routes) byAuth.set(route.auth, [...(byAuth.get(route.auth) ?? []), route]);
  const names = Object.keys(PERMISSIONS) as (keyof typeof PERMISSIONS)[];
  const lines = [
    '# Permissions',
    '',
    '<!-- Generated from apps/server/src/platform/access/permissions.ts and the registered routes by',
    '     scripts/gen-permission-docs.ts. Do not edit by hand: run `node --import tsx scripts/gen-permission-docs.ts`.',
    '     A test fails when this file is stale. -->',
    '',
    'Deny by default: every API route names one permission, or is public, or needs only a signed-in',
    'caller. A permission names the lowest role that holds it (viewer < responder < manager < admin)',
    'and its scope: `team` permissions are held through an org-wide role or a role on the team the',
    'request touches; `org` permissions only through an org-wide role. Routes marked',
    '"any signed-in caller" check a permission on the team they touch inside the handler (for example',
    'changing your own profile, or reading an incident of your team). See the [access guide](guides/access.md).',
    '',
    `${names.length} permissions:`,
    '',
    ...markdownTable(
      ['permission', 'lowest role', 'scope', 'routes'],
      names.map((name) => [
        `[\`${name}\`](#${name.replace('.', '')})`,
        PERMISSIONS[name].role,
        PERMISSIONS[name].scope,
        String(byAuth.get(name)?.length ?? 0),
      ]),
    ),
    '',
  ];
  for (const name of names) {
    const spec = PERMISSIONS[name];
    lines.push(`## ${name}`, '', `Lowest role: ${spec.role}, scope: ${spec.scope}.`, '');
    const list = byAuth.get(name) ?? [];
    lines.push(...(list.length > 0 ? list.map(routeLine) : ['No route declares it directly.']), '');
  }
  for (const [auth, title] of [
    ['authenticated', 'Any signed-in caller'],
    ['public', 'Public (no credentials; alert and SDK endpoints authenticate by their own key)'],
  ] as const) {
    lines.push(`## ${title}`, '', ...(byAuth.get(auth) ?? []).map(routeLine), '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The routes of a fully built app (on a throwaway SQLite file: nothing is migrated or written). */
export async function appRoutes(): Promise<DocumentedRoute[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engops-permission-docs-'));
  const container = createContainer(loadConfig({ ENGOPS_DATA_DIR: dir, ENGOPS_LOG_LEVEL: 'silent' }));
  try {
    const app = await buildApp(container);
    await app.ready();
    const routes = registeredRoutes(app).map((r) => ({
      method: r.method,
      url: r.url,
      summary: r.summary,
      auth: r.auth,
    }));
    await app.close();
    return routes;
  } finally {
    await container.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const text = renderPermissionsMarkdown(await appRoutes());
  const where = path.relative(process.cwd(), PERMISSIONS_DOC_PATH);
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(PERMISSIONS_DOC_PATH) ? fs.readFileSync(PERMISSIONS_DOC_PATH, 'utf8') : '';
    if (current !== text) {
      console.error(`${where} is stale; run this script without --check.`);
      process.exit(1);
    }
    console.log(`${where} is up to date.`);
    return;
  }
  fs.writeFileSync(PERMISSIONS_DOC_PATH, text);
  console.log(`wrote ${where}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
