import { describe, expect, it } from 'vitest';
import { storedPayload } from './stored-payload.ts';

const KEY = 'R0UTINGkeyR0UTINGkeyR0UTINGkey32';
const stored = (text: string) => storedPayload(JSON.parse(text), text);

describe('the stored copy of an alert body', () => {
  it('is the text as sent, without the top-level routing_key and its comma', () => {
    expect(stored(`{"routing_key":"${KEY}","event_action":"trigger","payload":{"summary":"a"}}`)).toBe(
      '{"event_action":"trigger","payload":{"summary":"a"}}',
    );
    expect(stored(`{"event_action":"trigger","routing_key":"${KEY}"}`)).toBe('{"event_action":"trigger"}');
    expect(stored(`{"a":1,"routing_key":"${KEY}","b":2}`)).toBe('{"a":1,"b":2}');
    expect(stored(`{"routing_key":"${KEY}"}`)).toBe('{}');
    // Spaces and new lines around the field, as json.dumps and pretty printers write them.
    expect(stored(`{\n  "event_action": "trigger",\n  "routing_key" : "${KEY}"\n}`)).toBe(
      '{\n  "event_action": "trigger"\n}',
    );
    expect(stored(`{"routing_key": "${KEY}", "dedup_key": "x"}`)).toBe('{"dedup_key": "x"}');
  });

  it('keeps a body without routing_key exactly as sent', () => {
    const text = '{"version":"4","alerts":[{"labels":{"alertname":"Disk"}}],  "n": 1.50}';
    expect(stored(text)).toBe(text);
  });

  it('serialises the body again without the key whenever cutting it out of the text is not certain', () => {
    const cases = [
      // The field spelled with an escape: the plain spelling (if any) is not the top-level one.
      `{"routing\\u005fkey":"${KEY}","payload":{"routing_key":"other"}}`,
      // Twice: one nested.
      `{"routing_key":"${KEY}","payload":{"custom_details":{"routing_key":"${KEY}"}}}`,
      // The key again elsewhere in the body.
      `{"routing_key":"${KEY}","payload":{"summary":"sent with ${KEY}"}}`,
      // A value written with escapes.
      `{"routing_key":"\\u0052${KEY.slice(1)}","event_action":"trigger"}`,
      // Field and key both escaped at the top level, the plain spelling nested with the key.
      `{"routing\\u005fkey":"\\u0052${KEY.slice(1)}","payload":{"routing_key":"${KEY}"}}`,
      // Any escape at all, even one that has nothing to do with the key.
      `{"routing_key":"${KEY}","payload":{"summary":"caf\\u00e9"}}`,
    ];
    for (const text of cases) {
      const body = JSON.parse(text) as Record<string, unknown>;
      const { routing_key: _secret, ...rest } = body;
      expect(storedPayload(body, text)).toBe(JSON.stringify(rest));
    }
    // A non-string key and no text at all take the same way.
    expect(storedPayload({ routing_key: 7, a: 1 }, '{"routing_key":7,"a":1}')).toBe('{"a":1}');
    expect(storedPayload({ routing_key: KEY, a: 1 }, undefined)).toBe('{"a":1}');
    expect(storedPayload([1, 2], undefined)).toBe('[1,2]');
  });

  it('never keeps the top-level key, whatever the layout', () => {
    const layouts = [
      (k: string) => `{"routing_key":"${k}","a":{"b":[1,2,{"c":"d"}]},"e":null}`,
      (k: string) => `{ "a" : true , "routing_key" : "${k}" }`,
      (k: string) => `{"a":"routing_key","routing_key":"${k}"}`,
      (k: string) => `{"routing_key":"${k}","routing_key2":"x"}`,
    ];
    for (const layout of layouts) {
      const text = layout(KEY);
      const out = storedPayload(JSON.parse(text), text);
      expect(out).not.toContain(KEY);
      const { routing_key: _secret, ...rest } = JSON.parse(text) as Record<string, unknown>;
      expect(JSON.parse(out)).toEqual(rest);
    }
  });
});
