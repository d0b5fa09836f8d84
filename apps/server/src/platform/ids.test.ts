import { describe, expect, it } from 'vitest';
import { idFloor, idTime, newId } from './ids.ts';

describe('newId', () => {
  it('is prefix, 10 time characters and 16 random ones, in Crockford base32', () => {
    expect(newId('evt', Date.parse('2026-11-29T00:00:00Z'))).toMatch(/^evt_[0-9a-hjkmnp-tv-z]{26}$/);
  });

  it('sorts in creation order, within one millisecond and across many pool refills', () => {
    const at = Date.parse('2030-01-01T00:00:00Z');
    const ids: string[] = [];
    // 2,000 ids over 100 milliseconds: the random pool (409 ids' worth) refills several times.
    for (let i = 0; i < 2000; i++) ids.push(newId('x', at + Math.floor(i / 20)).slice(2));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    // A new millisecond draws new random bytes: the ids of two milliseconds differ in more than
    // the time part and an increment.
    const firsts = ids.filter((_, i) => i % 20 === 0).map((id) => id.slice(10));
    expect(new Set(firsts).size).toBe(firsts.length);
  });
});

// newId never goes back in time within a process: these tests use instants after the ones above.
describe('idTime and idFloor', () => {
  it('read back the millisecond an id was made at', () => {
    const at = Date.parse('2031-11-29T06:30:00.123Z');
    expect(idTime(newId('evt', at))).toBe(at);
    expect(idTime(`alr_${newId('x', at + 1).slice(2)}`)).toBe(at + 1);
    expect(idTime('not an id')).toBeUndefined();
    expect(idTime('evt_!!!!!!!!!!0000000000000000')).toBeUndefined();
  });

  it('sorts between the ids made before a millisecond and those made at it or later', () => {
    const at = Date.parse('2032-11-29T06:30:00Z');
    const floor = idFloor('evt', at);
    expect(newId('evt', at - 1) < floor).toBe(true);
    expect(newId('evt', at) > floor).toBe(true);
    expect(newId('evt', at + 86_400_000) > floor).toBe(true);
    expect(idFloor('evt', -5)).toBe(idFloor('evt', 0));
  });
});
