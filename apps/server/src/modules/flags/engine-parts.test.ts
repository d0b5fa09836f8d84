import { describe, expect, it } from 'vitest';
import { cidrContains, parseCidr, parseIp } from './cidr.ts';
import { murmurhash3 } from './murmurhash3.ts';
import { normalizedHash } from './normalized-hash.ts';
import { compileRe2 } from './re2-pattern.ts';
import { compareSemver, parseSemver } from './semver.ts';

describe('murmurhash3 x86 32-bit', () => {
  it('matches the reference vectors', () => {
    expect(murmurhash3('', 0)).toBe(0);
    expect(murmurhash3('', 1)).toBe(0x514e28b7);
    expect(murmurhash3('', 0xffffffff)).toBe(0x81f16f39);
    expect(murmurhash3('aaaa', 0x9747b28c)).toBe(0x5a97808a);
    expect(murmurhash3('Hello, world!', 0x9747b28c)).toBe(0x24884cba);
    expect(murmurhash3('The quick brown fox jumps over the lazy dog', 0)).toBe(0x2e4ff723);
  });
  it('normalises to 1..100 and hashes UTF-8', () => {
    const n = normalizedHash('123', 'gr1');
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(100);
    expect(murmurhash3('ø')).toBe(murmurhash3(new TextEncoder().encode('ø')));
  });
});

describe('semver, CIDR and RE2 helpers', () => {
  it('orders pre-releases per semver.org and rejects loose forms', () => {
    const v = (s: string) => parseSemver(s) ?? (null as never);
    expect(compareSemver(v('1.0.0-alpha'), v('1.0.0-alpha.1'))).toBeLessThan(0);
    expect(compareSemver(v('1.0.0-alpha.beta'), v('1.0.0-beta'))).toBeLessThan(0);
    expect(compareSemver(v('1.0.0-rc.1'), v('1.0.0'))).toBeLessThan(0);
    expect(compareSemver(v('1.0.0+build'), v('1.0.0'))).toBe(0);
    expect(parseSemver('v1.0.0')).toBeNull();
    expect(parseSemver('01.0.0')).toBeNull();
  });
  it('matches IPv4, IPv6 and IPv4-mapped addresses', () => {
    const block = parseCidr('10.1.0.0/16') ?? (null as never);
    expect(cidrContains(block, parseIp('10.1.200.3') ?? new Uint8Array())).toBe(true);
    expect(cidrContains(block, parseIp('::ffff:10.1.2.3') ?? new Uint8Array())).toBe(true);
    expect(cidrContains(block, parseIp('10.2.0.1') ?? new Uint8Array())).toBe(false);
    expect(parseCidr('10.0.0.0/33')).toBeNull();
    expect(parseIp('1:2:3:4:5:6:7:8:9')).toBeNull();
  });
  it('translates RE2 syntax and rejects what RE2 rejects', () => {
    expect(compileRe2('^[[:digit:]]+$')?.test('123')).toBe(true);
    expect(compileRe2('(?P<n>a)b')?.test('ab')).toBe(true);
    expect(compileRe2('(?i:abc)')?.test('ABC')).toBe(true);
    expect(compileRe2('a(?!b)')).toBeNull();
    expect(compileRe2('(a)\\1')).toBeNull();
    expect(compileRe2('[unclosed')).toBeNull();
  });
});
