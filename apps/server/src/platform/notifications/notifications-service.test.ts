import { describe, expect, it } from 'vitest';
import { targetProblem } from './notifications-service.ts';

describe('targetProblem', () => {
  it('accepts one plain email address', () => {
    expect(targetProblem('email', 'oncall@example.com')).toBeNull();
    expect(targetProblem('email', 'team+sev1@mail.example.co.uk')).toBeNull();
  });

  it('refuses email lists, display names and non-addresses', () => {
    for (const target of [
      'a@example.com, b@example.com',
      'A <a@example.com>',
      'nobody',
      'a@',
      '@b',
      'a @b.c',
    ]) {
      expect(targetProblem('email', target), target).toMatch(/one email address/);
    }
  });

  it('accepts http and https URLs for webhooks and Slack', () => {
    expect(targetProblem('webhook', 'https://hooks.example.com/engops?x=1')).toBeNull();
    expect(targetProblem('slack', 'http://127.0.0.1:8080/services/T0/B0/x')).toBeNull();
  });

  it('refuses relative URLs and other schemes', () => {
    expect(targetProblem('webhook', '/hooks/engops')).toMatch(/absolute/);
    expect(targetProblem('webhook', 'not a url')).toMatch(/absolute/);
    expect(targetProblem('slack', 'file:///etc/passwd')).toMatch(/http or https/);
    expect(targetProblem('webhook', 'javascript:alert(1)')).toMatch(/http or https/);
  });
});
