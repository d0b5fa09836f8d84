import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS_DOC_PATH, renderPermissionsMarkdown } from '../../../../scripts/gen-permission-docs.ts';
import { createTestApp, type TestApp } from '../../../../test-support/engines.ts';
import { PERMISSIONS } from '../platform/access/permissions.ts';
import { registeredRoutes } from './route.ts';

/** docs/permissions.md is what the built app declares (run scripts/gen-permission-docs.ts after a change). */
describe('docs/permissions.md', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is current: every permission with its role and scope, every route under the permission it declares', () => {
    const routes = registeredRoutes(t.app);
    const text = renderPermissionsMarkdown(routes);
    expect(fs.readFileSync(PERMISSIONS_DOC_PATH, 'utf8')).toBe(text);
    // Each route is listed exactly once.
    for (const route of routes) {
      const line = `- \`${route.method} ${route.url}\`: `;
      expect(
        text.split('\n').filter((l) => l.startsWith(line)),
        line,
      ).toHaveLength(1);
    }
    for (const [name, spec] of Object.entries(PERMISSIONS))
      expect(text).toContain(`## ${name}\n\nLowest role: ${spec.role}, scope: ${spec.scope}.`);
  });
});
