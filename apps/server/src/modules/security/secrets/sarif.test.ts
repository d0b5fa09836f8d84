import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES } from './rules.ts';
import { FINGERPRINT_KEY, SARIF_SCHEMA, toSarif } from './sarif.ts';
import type { Finding } from './scanner.ts';

/**
 * The parts of the SARIF 2.1.0 JSON schema (OASIS sarif-schema-2.1.0.json) that this log uses,
 * with the same required properties and constraints: version, runs, tool.driver, rules
 * (reportingDescriptor), results (message, locations, region), partialFingerprints.
 */
const message = { type: 'object', required: ['text'], properties: { text: { type: 'string' } } };
const sarifSubsetSchema = {
  type: 'object',
  required: ['version', 'runs'],
  properties: {
    $schema: { type: 'string', format: 'uri' },
    version: { enum: ['2.1.0'] },
    runs: {
      type: 'array',
      items: {
        type: 'object',
        required: ['tool'],
        properties: {
          tool: {
            type: 'object',
            required: ['driver'],
            properties: {
              driver: {
                type: 'object',
                required: ['name'],
                properties: {
                  name: { type: 'string' },
                  version: { type: 'string' },
                  rules: {
                    type: 'array',
                    uniqueItems: true,
                    items: {
                      type: 'object',
                      required: ['id'],
                      properties: {
                        id: { type: 'string' },
                        shortDescription: message,
                        fullDescription: message,
                        defaultConfiguration: {
                          type: 'object',
                          properties: { level: { enum: ['none', 'note', 'warning', 'error'] } },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          columnKind: { enum: ['utf16CodeUnits', 'unicodeCodePoints'] },
          results: {
            type: 'array',
            items: {
              type: 'object',
              required: ['message'],
              properties: {
                ruleId: { type: 'string' },
                ruleIndex: { type: 'integer', minimum: -1 },
                level: { enum: ['none', 'note', 'warning', 'error'] },
                message,
                locations: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      physicalLocation: {
                        type: 'object',
                        anyOf: [{ required: ['address'] }, { required: ['artifactLocation'] }],
                        properties: {
                          artifactLocation: {
                            type: 'object',
                            properties: {
                              uri: { type: 'string', format: 'uri-reference' },
                              uriBaseId: { type: 'string' },
                            },
                          },
                          region: {
                            type: 'object',
                            properties: {
                              startLine: { type: 'integer', minimum: 1 },
                              startColumn: { type: 'integer', minimum: 1 },
                            },
                          },
                        },
                      },
                    },
                  },
                },
                partialFingerprints: { type: 'object', additionalProperties: { type: 'string' } },
                properties: { type: 'object' },
              },
            },
          },
        },
      },
    },
  },
};

const findings: Finding[] = [
  {
    rule: 'github-pat',
    description: 'GitHub personal access token (classic, ghp_)',
    file: 'src/my config.ts',
    line: 3,
    column: 9,
    commit: 'a'.repeat(40),
    author: 'Ada <ada@example.test>',
    fingerprint: 'f'.repeat(64),
    redacted: 'ghp_…',
  },
  {
    rule: 'jwt',
    description: 'JSON Web Token (signed)',
    file: 'b.http',
    line: 1,
    column: 1,
    fingerprint: 'e'.repeat(64),
    redacted: 'eyJh…',
  },
];

describe('toSarif', () => {
  it('produces a SARIF 2.1.0 log that validates', async () => {
    const log = toSarif(findings, BUILTIN_RULES);
    const { default: addFormats } = await import('ajv-formats');
    const ajv = new Ajv({ allErrors: true, strict: false });
    (addFormats as unknown as (a: Ajv) => void)(ajv);
    const validate = ajv.compile(sarifSubsetSchema);
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    expect(log.$schema).toBe(SARIF_SCHEMA);
    expect(log.version).toBe('2.1.0');
  });

  it('maps findings to results with rule, location, fingerprint and commit', () => {
    const run = toSarif(findings, BUILTIN_RULES).runs[0];
    expect(run?.tool.driver.rules.map((r) => r.id)).toEqual(BUILTIN_RULES.map((r) => r.id));
    const [first, second] = run?.results ?? [];
    expect(first?.ruleId).toBe('github-pat');
    expect(run?.tool.driver.rules[first?.ruleIndex ?? -1]?.id).toBe('github-pat');
    expect(first?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'src/my%20config.ts', uriBaseId: '%SRCROOT%' },
      region: { startLine: 3, startColumn: 9 },
    });
    expect(first?.partialFingerprints[FINGERPRINT_KEY]).toBe('f'.repeat(64));
    expect(first?.properties).toEqual({ commit: 'a'.repeat(40), author: 'Ada <ada@example.test>' });
    expect(first?.message.text).toContain('ghp_…');
    expect(second?.properties).toBeUndefined();
  });

  it('is a valid empty run when there are no findings', () => {
    expect(toSarif([], BUILTIN_RULES).runs[0]?.results).toEqual([]);
  });
});
