import { useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, fetchAll } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import type { Team } from '../../app/types.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button, buttonClass } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field } from '../../ui/field.tsx';
import { PageHeader } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { FlagSwitch } from './flag-switch.tsx';
import { environmentRollout, type Flag, type FlagEnvironment, matchesSearch } from './flag-types.ts';
import { FlagsStyles } from './flags-styles.tsx';
import { NewFlagDialog } from './new-flag-dialog.tsx';
import { SdkSetup, SdkTokensSection } from './sdk-tokens.tsx';
import { SegmentsSection } from './segments-section.tsx';

export function FlagsPage() {
  const auth = useAuth();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const search = params.get('q') ?? '';
  const [creating, setCreating] = useState(false);
  const flags = useResource('flags', () => api.get<{ items: Flag[] }>('/api/v1/flags').then((r) => r.items));
  const [local, setLocal] = useState<Record<string, Flag>>({});
  const environments = useResource('flag-environments', () =>
    api.get<{ items: FlagEnvironment[] }>('/api/v1/environments').then((r) => r.items),
  );
  const teams = useResource('teams', () =>
    auth.can('catalog.read') ? fetchAll<Team>('/api/v1/teams') : Promise.resolve([] as Team[]),
  );
  const teamName = useMemo(() => {
    const byId = new Map((teams.data ?? []).map((t) => [t.id, t.name] as const));
    return (id: string | null) => (id ? (byId.get(id) ?? id) : 'Organisation-wide');
  }, [teams.data]);

  const rows = (flags.data ?? []).map((f) => local[f.key] ?? f).filter((f) => matchesSearch(f, search));
  const canWrite = auth.can('flags.write');
  const envs = environments.data ?? [];

  const columns: Column<Flag>[] = [
    {
      key: 'key',
      header: 'Key',
      cell: (f) => (
        <Link to={`/flags/${encodeURIComponent(f.key)}`} className="mono">
          {f.key}
        </Link>
      ),
    },
    { key: 'type', header: 'Type', cell: (f) => f.type },
    {
      key: 'description',
      header: 'Description',
      cell: (f) => (
        <>
          {f.description ?? <span className="muted">—</span>}
          {f.tags.length ? (
            <span className="flag-tags">
              {f.tags.map((t) => (
                <span key={t} className="badge">
                  {t}
                </span>
              ))}
            </span>
          ) : null}
        </>
      ),
    },
    { key: 'owner', header: 'Owner team', cell: (f) => teamName(f.owner_team_id) },
    ...envs.map(
      (env): Column<Flag> => ({
        key: `env-${env.key}`,
        header: env.name,
        cell: (f) => {
          const state = f.environments[env.key];
          const rollout = state?.enabled ? environmentRollout(state) : null;
          return (
            <span className="flag-env-cell">
              <FlagSwitch
                flagKey={f.key}
                environment={env.key}
                environmentName={env.name}
                enabled={state?.enabled ?? false}
                disabled={!canWrite}
                requiresApproval={env.require_approval}
                onChanged={(flag) => setLocal((l) => ({ ...l, [flag.key]: flag }))}
              />
              {rollout !== null && rollout < 100 ? <span className="flag-rollout">{rollout}%</span> : null}
            </span>
          );
        },
      }),
    ),
  ];

  return (
    <>
      <FlagsStyles />
      <PageHeader
        title="Feature flags"
        description="Release separately from deploy: turn flags on per environment, roll out gradually, and switch off in one click."
        actions={
          <span className="button-row">
            <Link to="/flag-reviews" className={buttonClass('secondary')}>
              Reviews and cleanup
            </Link>
            {canWrite ? (
              <Button variant="primary" onClick={() => setCreating(true)}>
                New flag
              </Button>
            ) : null}
          </span>
        }
      />
      <div className="flag-search">
        <Field
          label="Search by key or tag"
          name="q"
          type="search"
          value={search}
          autoComplete="off"
          onChange={(e) => {
            const next = new URLSearchParams(params);
            if (e.currentTarget.value) next.set('q', e.currentTarget.value);
            else next.delete('q');
            setParams(next, { replace: true });
          }}
        />
      </div>
      <ErrorBanner
        error={flags.error ?? environments.error}
        onRetry={() => {
          flags.reload();
          environments.reload();
        }}
      />
      <Table
        caption="Feature flags"
        columns={columns}
        rows={rows}
        rowKey={(f) => f.key}
        loading={flags.loading || environments.loading}
        empty={search ? 'No flag matches this search.' : 'No flags yet. Create one with "New flag".'}
      />
      <SegmentsSection canManage={auth.can('flags.manage')} />
      {auth.can('flags.manage') ? <SdkTokensSection environments={envs} /> : null}
      <SdkSetup origin={window.location.origin} />
      {creating ? (
        <NewFlagDialog
          teams={teams.data ?? []}
          onClose={() => setCreating(false)}
          onCreated={(flag) => {
            setCreating(false);
            navigate(`/flags/${encodeURIComponent(flag.key)}`);
          }}
        />
      ) : null}
    </>
  );
}
