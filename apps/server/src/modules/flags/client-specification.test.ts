import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyDeltaEvents, createEngine, type DeltaEvent } from './evaluate.ts';
import type { ClientFeatures, FlagContext } from './types.ts';

/**
 * Every case of the public Unleash client specification, run through our own engine. The suite
 * is read from the installed @unleash/client-specification package (its index.json lists the files).
 */
const specDir = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@unleash/client-specification/package.json')),
  'specifications',
);
const index = JSON.parse(fs.readFileSync(path.join(specDir, 'index.json'), 'utf8')) as string[];

interface SpecCase {
  description: string;
  context: FlagContext;
  toggleName: string;
  expectedResult: unknown;
}
interface SpecFile {
  name: string;
  state: ClientFeatures | { events: DeltaEvent[] };
  tests?: SpecCase[];
  variantTests?: SpecCase[];
}

const specs = index.map((file) => JSON.parse(fs.readFileSync(path.join(specDir, file), 'utf8')) as SpecFile);

function stateOf(spec: SpecFile): ClientFeatures {
  return 'events' in spec.state ? applyDeltaEvents(spec.state.events) : spec.state;
}

// Random stickiness must still be deterministic here; the cases that rely on it are 0% or 100%.
let seed = 42;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};

it('reads every specification file listed in index.json', () => {
  expect(specs.length).toBe(index.length);
  expect(specs.length).toBeGreaterThanOrEqual(22);
  const cases = specs.reduce((n, s) => n + (s.tests?.length ?? 0) + (s.variantTests?.length ?? 0), 0);
  expect(cases).toBeGreaterThanOrEqual(279);
});

for (const spec of specs) {
  describe(spec.name, () => {
    const engine = createEngine(stateOf(spec), { random });
    for (const test of spec.tests ?? []) {
      it(test.description, () => {
        expect(engine.isEnabled(test.toggleName, test.context)).toBe(test.expectedResult);
      });
    }
    for (const test of spec.variantTests ?? []) {
      it(`variant: ${test.description}`, () => {
        expect(engine.getVariant(test.toggleName, test.context)).toEqual(test.expectedResult);
      });
    }
  });
}
