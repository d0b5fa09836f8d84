import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { expect, it } from 'vitest';
import { describeEachEngine } from '../../../../../test-support/engines.ts';

interface SseEvent {
  event: string;
  id: string;
  data: string;
}

/** A plain HTTP client reading server-sent events from a listening server. */
function openStream(url: string, token: string) {
  const events: SseEvent[] = [];
  let status = 0;
  let contentType = '';
  let buffer = '';
  const request = http.get(url, { headers: { authorization: token, accept: 'text/event-stream' } }, (res) => {
    status = res.statusCode ?? 0;
    contentType = String(res.headers['content-type']);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const field = (name: string) =>
          block
            .split('\n')
            .filter((l) => l.startsWith(`${name}: `))
            .map((l) => l.slice(name.length + 2))
            .join('\n');
        if (!block.startsWith(':'))
          events.push({ event: field('event'), id: field('id'), data: field('data') });
        end = buffer.indexOf('\n\n');
      }
    });
  });
  request.on('error', () => undefined);
  return {
    events,
    status: () => status,
    contentType: () => contentType,
    close: () => request.destroy(),
  };
}

function waitFor<T>(check: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const value = check();
      if (value !== undefined) return resolve(value);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

const enabledIn = (event: SseEvent, flag: string): boolean | undefined => {
  const body = JSON.parse(event.data) as {
    events: Array<{ type: string; features: Array<{ name: string; enabled: boolean }> }>;
  };
  return body.events[0]?.features.find((f) => f.name === flag)?.enabled;
};

describeEachEngine('flag streaming (server-sent events)', (get) => {
  it('streams every change to plain SSE clients and to unleash-client in streaming mode', async () => {
    const t = get();
    await t.call('POST', '/api/v1/flags', { body: { key: 'stream.checkout' } });
    await t.call('POST', '/api/v1/flags/stream.checkout/environments/development/on');
    const token = (
      await t.call('POST', '/api/v1/sdk-tokens', {
        body: { name: 'stream', type: 'client', environment: 'development' },
      })
    ).json.token as string;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;

    const denied = openStream(`${base}/api/client/streaming`, 'nope');
    await waitFor(() => (denied.status() ? true : undefined), 'the 401');
    expect(denied.status()).toBe(401);
    denied.close();

    const stream = openStream(`${base}/api/client/streaming`, token);
    const unleash = new Unleash({
      url: `${base}/api/`,
      appName: 'streaming-test',
      customHeaders: { Authorization: token },
      disableMetrics: true,
      refreshInterval: 60_000,
      storageProvider: new InMemStorageProvider(),
      experimentalMode: { type: 'streaming' },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        unleash.once('synchronized', () => resolve());
        unleash.once('error', reject);
      });
      expect(unleash.isEnabled('stream.checkout')).toBe(true);
      const connected = await waitFor(() => stream.events[0], 'the first event');
      expect(stream.status()).toBe(200);
      expect(stream.contentType()).toContain('text/event-stream');
      expect(connected.event).toBe('unleash-connected');
      expect(enabledIn(connected, 'stream.checkout')).toBe(true);

      // The kill switch reaches both listeners without a poll (unleash-client polls once a minute here).
      const off = await t.call('POST', '/api/v1/flags/stream.checkout/environments/development/off');
      expect(off.status).toBe(200);
      const updated = await waitFor(() => stream.events[1], 'the update event');
      expect(updated.event).toBe('unleash-updated');
      expect(Number(updated.id)).toBeGreaterThan(Number(connected.id));
      expect(enabledIn(updated, 'stream.checkout')).toBe(false);
      await waitFor(
        () => (unleash.isEnabled('stream.checkout') ? undefined : true),
        'unleash-client to see the kill switch over the stream',
      );

      // A change by another writer (straight in the database, as a second server would) is seen too.
      await t.container.db
        .updateTable('flag_environment_configs')
        .set({ enabled: 1 })
        .where('flag_key', '=', 'stream.checkout')
        .where('environment', '=', 'development')
        .execute();
      await t.container.db
        .updateTable('flag_environments')
        .set((eb) => ({ revision: eb('revision', '+', 1) }))
        .where('key', '=', 'development')
        .execute();
      const third = await waitFor(() => stream.events[2], 'the update from another writer');
      expect(enabledIn(third, 'stream.checkout')).toBe(true);
      await waitFor(
        () => (unleash.isEnabled('stream.checkout') ? true : undefined),
        'unleash-client to see it',
      );
    } finally {
      stream.close();
      unleash.destroy();
    }
  });
});
