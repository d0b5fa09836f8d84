/**
 * A response body serialised once and reused: a cached object carries its JSON text under this
 * symbol, and the route layer sends that text instead of serialising the object again.
 */
export const RAW_JSON = Symbol('engops.rawJson');

export function withRawJson<T extends object>(value: T): T {
  let json: string | undefined;
  Object.defineProperty(value, RAW_JSON, {
    enumerable: false,
    get: () => {
      json ??= JSON.stringify(value);
      return json;
    },
  });
  return value;
}

export function rawJsonOf(value: unknown): string | undefined {
  return value !== null && typeof value === 'object' && RAW_JSON in value
    ? (value as { [RAW_JSON]: string })[RAW_JSON]
    : undefined;
}
