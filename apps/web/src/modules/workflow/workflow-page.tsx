import type { WorkflowBranch, WorkflowPullRequest, WorkflowSummary } from '@engops/contracts';
import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../app/api-client.ts';
import { useAuth } from '../../app/auth-context.tsx';
import { formatDateTime } from '../../app/format.ts';
import { useReportScope } from '../../app/use-report-scope.ts';
import { useResource } from '../../app/use-resource.ts';
import { buttonClass } from '../../ui/button.tsx';
import { ErrorBanner } from '../../ui/error-banner.tsx';
import { SelectField } from '../../ui/field.tsx';
import { PageHeader } from '../../ui/page-header.tsx';
import { type Column, Table } from '../../ui/table.tsx';
import { ReviewTimeChart, SizeChart } from './workflow-charts.tsx';
import { formatDuration, formatShare, windowOf } from './workflow-format.ts';
import { WorkflowStyles } from './workflow-styles.tsx';

const WINDOWS = [
  { value: '30', label: 'Last 30 days' },
  { value: '90', label: 'Last 90 days' },
  { value: '365', label: 'Last year' },
];

function PrLink({ pr }: { pr: WorkflowPullRequest }) {
  const label = `${pr.repository}#${pr.number}`;
  return pr.url ? (
    <a href={pr.url} rel="noreferrer">
      {label}
    </a>
  ) : (
    label
  );
}

const waitingColumns: Column<WorkflowPullRequest>[] = [
  { key: 'pr', header: 'Pull request', cell: (p) => <PrLink pr={p} /> },
  { key: 'title', header: 'Title', cell: (p) => p.title },
  { key: 'author', header: 'Author', cell: (p) => p.author },
  { key: 'reviewers', header: 'Waiting for', cell: (p) => p.pending_reviewers.join(', ') || 'anyone' },
  { key: 'since', header: 'Waiting since', cell: (p) => formatDateTime(p.waiting_since) },
];

const mergedColumns: Column<WorkflowPullRequest>[] = [
  { key: 'pr', header: 'Pull request', cell: (p) => <PrLink pr={p} /> },
  { key: 'title', header: 'Title', cell: (p) => p.title },
  { key: 'author', header: 'Author', cell: (p) => p.author },
  { key: 'merged', header: 'Merged', cell: (p) => formatDateTime(p.merged_at) },
  { key: 'review', header: 'Approved', cell: (p) => (p.merged_without_review ? 'no' : 'yes') },
];

const branchColumns: Column<WorkflowBranch>[] = [
  { key: 'name', header: 'Branch', cell: (b) => `${b.repository}:${b.name}` },
  { key: 'owner', header: 'Owner', cell: (b) => b.owner ?? '—' },
  { key: 'first', header: 'First commit', cell: (b) => formatDateTime(b.first_commit_at ?? b.created_at) },
  { key: 'age', header: 'Age', kind: 'number', cell: (b) => formatDuration(b.age_seconds) },
];

type Person = WorkflowSummary['people'][number];
const peopleColumns: Column<Person>[] = [
  { key: 'login', header: 'Person', cell: (p) => p.login },
  { key: 'authored', header: 'Authored', kind: 'number', cell: (p) => String(p.authored) },
  {
    key: 'received',
    header: 'Review time received',
    kind: 'number',
    cell: (p) => formatDuration(p.review_time_received_median_seconds),
  },
  {
    key: 'size',
    header: 'Median size',
    kind: 'number',
    cell: (p) => (p.median_size_lines === null ? '—' : `${p.median_size_lines} lines`),
  },
  {
    key: 'response',
    header: 'Answers feedback in',
    kind: 'number',
    cell: (p) => formatDuration(p.response_median_seconds),
  },
  { key: 'given', header: 'First reviews given', kind: 'number', cell: (p) => String(p.first_reviews_given) },
  {
    key: 'pickup',
    header: 'Pickup given',
    kind: 'number',
    cell: (p) => formatDuration(p.pickup_given_median_seconds),
  },
];

interface Loaded {
  summary: WorkflowSummary;
  pulls: WorkflowPullRequest[];
}

/**
 * The development workflow of the organisation, a team or a service: review time against the
 * target (the line on the chart), the queue of PRs waiting for review, long-lived branches, PR
 * sizes and PRs merged without CI.
 */
export function WorkflowPage() {
  const auth = useAuth();
  const [params, setParams] = useSearchParams();
  const { scope, scopeQuery, scopeOptions, teams, services } = useReportScope(params, 'wf');
  const days = Number(params.get('days') ?? '30') || 30;
  const window = useMemo(() => windowOf(days), [days]);
  const data = useResource<Loaded>(`workflow:${scope}:${days}:${window.to}`, async () => {
    const query = { ...scopeQuery, ...window };
    const [summary, pulls] = await Promise.all([
      api.get<WorkflowSummary>('/api/v1/workflow/summary', query),
      api.get<{ items: WorkflowPullRequest[] }>('/api/v1/workflow/pull-requests', query),
    ]);
    return { summary, pulls: pulls.items };
  });

  function set(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  }
  const s = data.data?.summary;

  return (
    <>
      <WorkflowStyles />
      <PageHeader
        title="Development workflow"
        description="Reviews within the target, short-lived branches, small PRs and CI before merge, measured from the code host's own times."
        actions={
          auth.can('workflow.manage') ? (
            <Link to="/workflow/settings" className={buttonClass('secondary')}>
              Settings
            </Link>
          ) : null
        }
      />
      <div className="wf-controls">
        <SelectField
          label="Scope"
          name="scope"
          value={scope}
          options={scopeOptions}
          onChange={(e) => set('scope', e.target.value)}
        />
        <SelectField
          label="Window"
          name="days"
          value={String(days)}
          options={WINDOWS}
          onChange={(e) => set('days', e.target.value)}
        />
      </div>
      <ErrorBanner error={teams.error ?? services.error ?? data.error} onRetry={data.reload} />
      {data.loading && !s ? <p aria-live="polite">Loading…</p> : null}
      {s && data.data ? (
        <>
          <section className="wf-tiles" aria-label="Workflow figures">
            <article className="wf-tile" data-testid="tile-review-time">
              <h2>Review time (median)</h2>
              <p className="wf-value">{formatDuration(s.review_time.median_seconds)}</p>
              <p className="wf-basis">
                p90 {formatDuration(s.review_time.p90_seconds)} · {s.review_time.count} reviewed
              </p>
            </article>
            <article className="wf-tile" data-testid="tile-within-target">
              <h2>First review within {s.targets.review_target_hours} h</h2>
              <p className="wf-value">{formatShare(s.within_review_target.share)}</p>
              <p className="wf-basis">
                {s.within_review_target.within} of {s.within_review_target.reviewed}
                {s.targets.business_hours ? ' (business hours)' : ''}
              </p>
            </article>
            <article className="wf-tile" data-testid="tile-merge-time">
              <h2>Time to merge (median)</h2>
              <p className="wf-value">{formatDuration(s.merge_time.median_seconds)}</p>
              <p className="wf-basis">
                {s.pull_requests.merged} merged of {s.pull_requests.opened} opened
              </p>
            </article>
            <article className="wf-tile" data-testid="tile-small">
              <h2>Small PRs (≤ {s.size.threshold_lines} lines)</h2>
              <p className="wf-value">{formatShare(s.size.small_share)}</p>
              <p className="wf-basis">{s.descriptions_flagged} without a real description</p>
            </article>
          </section>

          <section className="wf-section" aria-labelledby="wf-review-chart">
            <h2 id="wf-review-chart">Review time per pull request</h2>
            <ReviewTimeChart items={data.data.pulls} targetHours={s.targets.review_target_hours} />
            <p className="wf-basis">
              Cycle time medians: coding {formatDuration(s.cycle_time.coding.median_seconds)}, pickup{' '}
              {formatDuration(s.cycle_time.pickup.median_seconds)}, review{' '}
              {formatDuration(s.cycle_time.review.median_seconds)}, deploy{' '}
              {formatDuration(s.cycle_time.deploy.median_seconds)}.
            </p>
          </section>

          <section className="wf-section" aria-labelledby="wf-waiting">
            <h2 id="wf-waiting">Waiting for review</h2>
            <Table
              caption="Pull requests waiting for review, longest first"
              columns={waitingColumns}
              rows={s.waiting_for_review}
              rowKey={(p) => p.id}
              empty="No pull request is waiting for review."
            />
          </section>

          <section className="wf-section" aria-labelledby="wf-branches">
            <h2 id="wf-branches">
              Branches open longer than {Math.round(s.targets.branch_max_age_hours / 24)} days
            </h2>
            <Table
              caption="Long-lived branches"
              columns={branchColumns}
              rows={s.branches.long_lived}
              rowKey={(b) => b.id}
              empty="No long-lived branch."
            />
          </section>

          <section className="wf-section" aria-labelledby="wf-sizes">
            <h2 id="wf-sizes">Pull request sizes</h2>
            <SizeChart size={s.size} />
          </section>

          <section className="wf-section" aria-labelledby="wf-no-ci">
            <h2 id="wf-no-ci">Merged without CI ({s.merged_without_ci.count})</h2>
            <Table
              caption="Pull requests merged without green required checks on their last commit"
              columns={mergedColumns}
              rows={s.merged_without_ci.items}
              rowKey={(p) => p.id}
              empty="Every merge had green checks."
            />
            <p className="wf-basis">Merged without an approving review: {s.merged_without_review.count}.</p>
          </section>

          <section className="wf-section" aria-labelledby="wf-tests">
            <h2 id="wf-tests">Code changed without tests ({s.code_without_tests.count})</h2>
            <Table
              caption="Pull requests that change code without touching tests"
              columns={waitingColumns.slice(0, 3)}
              rows={s.code_without_tests.items}
              rowKey={(p) => p.id}
              empty="No pull request changed code without tests (file lists come from the GitHub settings and the GitLab token)."
            />
          </section>

          <section className="wf-section" aria-labelledby="wf-people">
            <h2 id="wf-people">People</h2>
            <Table
              caption="Authors and reviewers"
              columns={peopleColumns}
              rows={s.people}
              rowKey={(p) => p.login}
            />
          </section>
        </>
      ) : null}
    </>
  );
}
