import { describe, expect, it } from 'vitest';
import { dummyHash, hashPassword, verifyPassword } from './passwords.ts';

describe('passwords', () => {
  it('hashes with scrypt and a random salt, and verifies only the right password', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[\w-]+\$[\w-]+$/);
    expect(a).not.toContain('correct horse battery');
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse battery', b)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('handles non-ASCII passwords', async () => {
    const hash = await hashPassword('pässwörd-日本語-🔑');
    expect(await verifyPassword('pässwörd-日本語-🔑', hash)).toBe(true);
    expect(await verifyPassword('passwoerd-日本語-🔑', hash)).toBe(false);
  });

  it('rejects stored values that are not its hashes instead of throwing', async () => {
    const good = await hashPassword('some password');
    const [, n, r, p, salt, hash] = good.split('$');
    for (const stored of [
      '',
      'plain-text-password',
      `bcrypt$${n}$${r}$${p}$${salt}$${hash}`,
      `scrypt$${n}$${r}$${p}$${salt}$`,
      `scrypt$3$${r}$${p}$${salt}$${hash}`, // N not a power of two
      `scrypt$${2 ** 30}$${r}$${p}$${salt}$${hash}`, // over the memory cap
      `scrypt$abc$${r}$${p}$${salt}$${hash}`,
    ]) {
      expect(await verifyPassword('some password', stored), stored).toBe(false);
    }
  });

  it('has a dummy hash that matches no empty or common password', async () => {
    const dummy = await dummyHash();
    expect(await dummyHash()).toBe(dummy);
    expect(await verifyPassword('', dummy)).toBe(false);
    expect(await verifyPassword('password', dummy)).toBe(false);
  });
});
