import type { Dependency } from './lockfiles.ts';
import { AdvisoryFormatError, type OsvAdvisory, parseAdvisory } from './osv.ts';

/** OSV's API allows up to 1000 queries per batch. */
const BATCH = 1000;

/**
 * Fetches the advisories affecting `deps` from a server speaking OSV's API (POST /v1/querybatch for
 * ids, GET /v1/vulns/{id} for each record): a mirror inside the network, or the public service.
 */
export async function fetchAdvisoriesFromOsvApi(
  baseUrl: string,
  deps: readonly Dependency[],
  fetchImpl: typeof fetch = fetch,
): Promise<OsvAdvisory[]> {
  const base = baseUrl.replace(/\/+$/, '');
  const ids = new Set<string>();
  for (let i = 0; i < deps.length; i += BATCH) {
    const queries = deps.slice(i, i + BATCH).map((d) => ({
      package: { name: d.name, ecosystem: d.ecosystem },
      version: d.version,
    }));
    const response = await fetchImpl(`${base}/v1/querybatch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ queries }),
    }).catch((error: unknown) => {
      throw new AdvisoryFormatError(`cannot reach ${base}: ${(error as Error).message}`);
    });
    if (!response.ok) throw new AdvisoryFormatError(`${base}/v1/querybatch answered HTTP ${response.status}`);
    const body = (await response.json()) as { results?: Array<{ vulns?: Array<{ id?: string }> }> };
    for (const result of body.results ?? []) for (const v of result.vulns ?? []) if (v.id) ids.add(v.id);
  }
  const out: OsvAdvisory[] = [];
  for (const id of [...ids].sort()) {
    const response = await fetchImpl(`${base}/v1/vulns/${encodeURIComponent(id)}`);
    if (!response.ok)
      throw new AdvisoryFormatError(`${base}/v1/vulns/${id} answered HTTP ${response.status}`);
    out.push(parseAdvisory(await response.json(), `${base}/v1/vulns/${id}`));
  }
  return out;
}
