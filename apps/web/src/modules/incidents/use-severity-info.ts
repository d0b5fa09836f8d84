import { useEffect, useState } from 'react';
import { api } from '../../app/api-client.ts';
import type { IncidentSeverity, PolicyResponse } from '../../app/types.ts';
import { SEVERITY_INFO } from './incident-format.ts';

type SeverityInfo = typeof SEVERITY_INFO;

let loading: Promise<SeverityInfo> | undefined;

/** The organisation's severity descriptions (policy `incidents.severity_descriptions`), read once. */
function load(): Promise<SeverityInfo> {
  loading ??= api
    .get<PolicyResponse>('/api/v1/policy')
    .then((response) => {
      const descriptions = response.policy.incidents?.severity_descriptions;
      if (!descriptions) return SEVERITY_INFO;
      const info = { ...SEVERITY_INFO };
      for (const key of Object.keys(info) as IncidentSeverity[]) {
        info[key] = { ...info[key], description: descriptions[key] ?? info[key].description };
      }
      return info;
    })
    .catch(() => SEVERITY_INFO);
  return loading;
}

/** Severity labels and descriptions: the handbook defaults at first, then the policy's. */
export function useSeverityInfo(): SeverityInfo {
  const [info, setInfo] = useState<SeverityInfo>(SEVERITY_INFO);
  useEffect(() => {
    let live = true;
    void load().then((value) => {
      if (live) setInfo(value);
    });
    return () => {
      live = false;
    };
  }, []);
  return info;
}
