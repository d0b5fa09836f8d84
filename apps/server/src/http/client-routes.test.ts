import { describe, expect, it } from 'vitest';
import { isClientRoute } from './client-routes.ts';

describe('isClientRoute', () => {
  it('serves the shell for client routes, dots in a route segment included', () => {
    for (const url of [
      '/',
      '/flags',
      '/flags/checkout.new-flow',
      '/flags/a.b?env=production',
      '/teams/team_1',
    ])
      expect(isClientRoute(url), url).toBe(true);
  });

  it('never for API, webhook, asset paths or file names', () => {
    for (const url of [
      '/api/v1/nope',
      '/assets/index-abc.js',
      '/assets/missing',
      '/webhooks/github',
      '/v2/enqueue',
      '/favicon.ico',
      '/robots.txt',
      '/oncall/feed.ics',
      '/app.js?v=1',
    ])
      expect(isClientRoute(url), url).toBe(false);
  });
});
