import type { Freeze, Release } from '@engops/contracts';
import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, fetchAll } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { formatDateTime, text } from '../../app/format.ts';
import type { Service, Team } from '../../app/types.ts';
import { useResource } from '../../app/use-resource.ts';
import { Button } from '../../ui/button.tsx';
import { Dialog } from '../../ui/dialog.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { Field, SelectField } from '../../ui/field.tsx';
import { Form } from '../../ui/form.tsx';
import { PageHeader } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { ReleasesStyles, StatusPill } from './releases-styles.tsx';

/**
 * The releases board of a service: each version in a row, with the status of every stage of its
 * pipeline (which version is in which stage), the release status and the latest canary verdict;
 * below, the freeze calendar.
 */
export function ReleasesPage() {
  const [params, setParams] = useSearchParams();
  const services = useResource('releases-services', () => fetchAll<Service>('/api/v1/services'));
  const serviceId = params.get('service') ?? services.data?.[0]?.id ?? '';
  const service = services.data?.find((s) => s.id === serviceId);
  const releases = useResource(`releases:${serviceId}`, () =>
    serviceId
      ? api.get<{ items: Release[] }>('/api/v1/releases', { service_id: serviceId, limit: 50 })
      : Promise.resolve({ items: [] as Release[] }),
  );
  const stageNames = useMemo(() => {
    const names: string[] = [];
    for (const r of releases.data?.items ?? [])
      for (const s of r.stages) if (!names.includes(s.name)) names.push(s.name);
    return names;
  }, [releases.data]);

  const columns: Column<Release>[] = [
    {
      key: 'version',
      header: 'Version',
      cell: (r) => <Link to={`/releases/${encodeURIComponent(r.id)}`}>{r.version}</Link>,
    },
    ...stageNames.map(
      (name): Column<Release> => ({
        key: `stage-${name}`,
        header: name,
        cell: (r) => {
          const s = r.stages.find((x) => x.name === name);
          return s ? <StatusPill status={s.status} /> : '—';
        },
      }),
    ),
    { key: 'status', header: 'Release', cell: (r) => <StatusPill status={r.status} /> },
    {
      key: 'verdict',
      header: 'Canary verdict',
      cell: (r) =>
        r.judgement ? (
          <StatusPill status={r.judgement.verdict} label={`${r.judgement.verdict} (${r.judgement.score})`} />
        ) : (
          '—'
        ),
    },
    { key: 'created', header: 'Created', cell: (r) => formatDateTime(r.created_at) },
  ];

  return (
    <>
      <ReleasesStyles />
      <PageHeader
        title="Releases"
        description="Every version of a service through the pipeline: CI, staging, canary, production, monitor."
      />
      <div className="rel-controls">
        <SelectField
          label="Service"
          name="service"
          value={serviceId}
          options={(services.data ?? []).map((s) => ({ value: s.id, label: s.name }))}
          onChange={(e) => setParams({ service: e.target.value }, { replace: true })}
        />
      </div>
      <ErrorBanner error={services.error ?? releases.error} onRetry={releases.reload} />
      <Table
        caption={`Releases of ${service?.name ?? 'the service'}`}
        columns={columns}
        rows={releases.data?.items ?? []}
        rowKey={(r) => r.id}
        loading={releases.loading}
        empty={
          serviceId
            ? 'No releases yet: CI creates them with engops release create.'
            : 'Create a service first.'
        }
      />
      <FreezeCalendar teamId={service?.team_id ?? null} />
    </>
  );
}

function FreezeCalendar({ teamId }: { teamId: string | null }) {
  const auth = useAuth();
  const [adding, setAdding] = useState(false);
  const teams = useResource('releases-teams', () => fetchAll<Team>('/api/v1/teams'));
  const teamName = new Map((teams.data ?? []).map((t) => [t.id, t.name] as const));
  const freezes = useResource(`freezes:${teamId}`, () =>
    api.get<{ items: Freeze[] }>('/api/v1/freezes', {
      ...(teamId ? { team_id: teamId } : {}),
      from: new Date().toISOString(),
    }),
  );
  const columns: Column<Freeze>[] = [
    { key: 'from', header: 'From', cell: (f) => formatDateTime(f.starts_at) },
    { key: 'to', header: 'Until', cell: (f) => formatDateTime(f.ends_at) },
    {
      key: 'scope',
      header: 'Applies to',
      cell: (f) => (f.team_id ? (teamName.get(f.team_id) ?? f.team_id) : 'Whole organisation'),
    },
    { key: 'reason', header: 'Reason', cell: (f) => f.reason },
  ];

  async function add(values: FormData) {
    const starts = text(values, 'starts_at');
    const ends = text(values, 'ends_at');
    await api.post('/api/v1/freezes', {
      team_id: text(values, 'scope') || null,
      starts_at: starts ? new Date(starts).toISOString() : '',
      ends_at: ends ? new Date(ends).toISOString() : '',
      reason: text(values, 'reason'),
    });
    setAdding(false);
    freezes.reload();
  }

  return (
    <section aria-labelledby="freeze-heading" className="rel-freezes">
      <div className="page-header">
        <h2 id="freeze-heading">Freeze calendar</h2>
        {auth.can('releases.manage') ? (
          <Button small onClick={() => setAdding(true)}>
            Declare a freeze
          </Button>
        ) : null}
      </div>
      <p className="page-description">No production stage starts inside a freeze window.</p>
      <ErrorBanner error={freezes.error} onRetry={freezes.reload} />
      <Table
        caption="Current and upcoming freezes"
        columns={columns}
        rows={freezes.data?.items ?? []}
        rowKey={(f) => f.id}
        empty="No freeze declared."
      />
      {adding ? (
        <Dialog title="Declare a freeze" onClose={() => setAdding(false)}>
          <Form onSubmit={add} submitLabel="Declare freeze" onCancel={() => setAdding(false)}>
            <SelectField
              label="Applies to"
              name="scope"
              defaultValue={teamId ?? ''}
              options={[
                ...(teams.data ?? []).map((t) => ({ value: t.id, label: t.name })),
                ...(auth.can('releases.admin') ? [{ value: '', label: 'Whole organisation' }] : []),
              ]}
            />
            <Field label="Starts" name="starts_at" type="datetime-local" required />
            <Field label="Ends" name="ends_at" type="datetime-local" required />
            <Field label="Reason" name="reason" required maxLength={500} />
          </Form>
        </Dialog>
      ) : null}
    </section>
  );
}
