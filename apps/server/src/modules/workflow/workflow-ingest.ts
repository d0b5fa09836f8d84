import type { Service } from '@engops/contracts';
import type { Db } from '../../db/database.ts';
import type { Clock } from '../../platform/clock.ts';
import { isUniqueViolation } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { CatalogService } from '../catalog/index.ts';
import { type CodeHostDelivery, repositoryKey } from '../dora/index.ts';
import {
  FILES_EVENT,
  type ParsedGithubEvent,
  type PrSnapshot,
  parseGithubEvent,
  type RepoRef,
} from './github-events.ts';
import { parseGitlabEvent } from './gitlab-events.ts';
import type { PullRequestRow, WorkflowRepository } from './kysely-workflow-repository.ts';
import { fileFacts } from './workflow-measures.ts';

type Result = { status: 'processed' | 'duplicate' | 'ignored'; detail: string };

/** The GitHub events this module reads; any other delivery is not its business (null). */
export const GITHUB_EVENTS = new Set([
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
  'check_suite',
  'check_run',
  'status',
  'create',
  'delete',
  'push',
  FILES_EVENT,
]);

/** The GitLab object kinds this module reads (Merge Request, Note, Pipeline and Push Hooks). */
export const GITLAB_KINDS = new Set(['merge_request', 'note', 'pipeline', 'push']);

type Provider = 'github' | 'gitlab';

/**
 * Applies verified code-host deliveries (handed over by the DORA webhook receiver) to the workflow
 * tables: one transaction per delivery, which also records the delivery id, so a redelivery is
 * counted once.
 */
export function createWorkflowIngest(deps: {
  db: Db;
  clock: Clock;
  repo: WorkflowRepository;
  catalog: CatalogService;
  /** DORA's repository -> service resolution (explicit mappings, then repository_url). */
  serviceForRepository?: (keys: string[]) => Promise<Service | undefined>;
  /** Called after a delivery changed a pull request (nudge scheduling). */
  onPullRequest?: (tx: Db, prId: string) => Promise<void>;
  /** Called for GitHub changes the outbound calls react to (checklist on open, merge gate on head/checks). */
  onGithubChange?: (
    tx: Db,
    change:
      | { kind: 'opened'; repository: string; number: number; prId: string }
      | { kind: 'head'; repository: string; sha: string }
      | { kind: 'files'; repository: string; number: number; prId: string; sha: string },
  ) => Promise<void>;
  /** Called for every GitLab merge request event (its diffs are read for the size). */
  onGitlabMergeRequest?: (
    tx: Db,
    change: { repository: string; number: number; prId: string; sha: string },
  ) => Promise<void>;
}) {
  const { db, clock, repo, catalog } = deps;

  /** The repository's service: DORA's explicit repository mapping first, then a matching repository_url. */
  async function serviceFor(repoRef: RepoRef): Promise<Service | undefined> {
    if (repoRef.keys.length === 0) return undefined;
    if (deps.serviceForRepository) return deps.serviceForRepository(repoRef.keys);
    const keys = new Set(repoRef.keys);
    let cursor: string | undefined;
    do {
      const page = await catalog.listServices({ limit: 200, cursor });
      const hit = page.items.find((s) => {
        const k = repositoryKey(s.repository_url);
        return k !== null && keys.has(k);
      });
      if (hit) return hit;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return undefined;
  }

  /** The pull request row, created from the snapshot when new, refreshed when the snapshot is newer. */
  async function upsertPr(
    tx: Db,
    provider: Provider,
    repoRef: RepoRef,
    service: Service,
    pr: PrSnapshot,
  ): Promise<string> {
    const lc = repoRef.full_name.toLowerCase();
    const existing = await repo.findPr(tx, provider, lc, pr.number);
    const fields = {
      title: pr.title,
      author: pr.author ?? existing?.author ?? 'unknown',
      body: pr.body,
      url: pr.url,
      state: pr.state,
      draft: pr.draft ? 1 : 0,
      base_ref: pr.base_ref,
      head_ref: pr.head_ref,
      head_sha: pr.head_sha,
      merge_commit_sha: pr.merge_commit_sha,
      opened_at: pr.opened_at,
      closed_at: pr.closed_at,
      merged_at: pr.merged_at,
      payload_updated_at: pr.updated_at,
      ...(pr.size ?? {}),
    };
    if (!existing) {
      const row: PullRequestRow = {
        id: newId('wpr'),
        provider,
        repository: repoRef.full_name,
        repository_lc: lc,
        service_id: service.id,
        number: pr.number,
        additions: 0,
        deletions: 0,
        changed_files: 0,
        files_sha: null,
        directories_touched: null,
        tests_touched: null,
        code_changed: null,
        created_at: clock.now().toISOString(),
        ...fields,
      };
      await repo.insertPr(tx, row);
      return row.id;
    }
    // Deliveries can arrive out of order: an older snapshot only fills in the size it lacked.
    if (pr.updated_at >= existing.payload_updated_at) await repo.updatePr(tx, existing.id, fields);
    else if (pr.size && existing.additions + existing.deletions === 0)
      await repo.updatePr(tx, existing.id, pr.size);
    return existing.id;
  }

  async function apply(
    tx: Db,
    provider: Provider,
    parsed: ParsedGithubEvent,
    service: Service,
    deliveryId: string | null,
  ): Promise<string> {
    const lc = parsed.repo.full_name.toLowerCase();
    switch (parsed.kind) {
      case 'pull_request': {
        const prId = await upsertPr(tx, provider, parsed.repo, service, parsed.pr);
        await repo.insertEvent(tx, { id: newId('wpe'), pr_id: prId, ...parsed.event });
        await deps.onPullRequest?.(tx, prId);
        if (provider === 'gitlab' && parsed.pr.head_sha)
          await deps.onGitlabMergeRequest?.(tx, {
            repository: parsed.repo.full_name,
            number: parsed.pr.number,
            prId,
            sha: parsed.pr.head_sha,
          });
        if (provider === 'github' && deps.onGithubChange) {
          const action = parsed.event.action;
          if (['opened', 'reopened', 'synchronize', 'ready_for_review'].includes(action))
            await deps.onGithubChange(tx, {
              kind: 'files',
              repository: parsed.repo.full_name,
              number: parsed.pr.number,
              prId,
              sha: parsed.pr.head_sha,
            });
          if (action === 'opened')
            await deps.onGithubChange(tx, {
              kind: 'opened',
              repository: parsed.repo.full_name,
              number: parsed.pr.number,
              prId,
            });
          if (
            ['opened', 'reopened', 'synchronize', 'ready_for_review'].includes(action) &&
            parsed.pr.head_sha
          )
            await deps.onGithubChange(tx, {
              kind: 'head',
              repository: parsed.repo.full_name,
              sha: parsed.pr.head_sha,
            });
        }
        return `pull request #${parsed.pr.number} ${parsed.event.action}`;
      }
      case 'review': {
        const prId = await upsertPr(tx, provider, parsed.repo, service, parsed.pr);
        const id = `${provider}:${parsed.review.id}`;
        if (parsed.action === 'submitted')
          await repo.insertReview(tx, { ...parsed.review, id, pr_id: prId, dismissed_at: null });
        else if (parsed.action === 'unapproved')
          await repo.withdrawApproval(tx, prId, parsed.review.reviewer, parsed.at);
        else if (parsed.action === 'dismissed') {
          await repo.insertReview(tx, { ...parsed.review, id, pr_id: prId, dismissed_at: parsed.at });
          await repo.dismissReview(tx, id, parsed.at);
        }
        await deps.onPullRequest?.(tx, prId);
        return `review ${parsed.action} on #${parsed.pr.number}`;
      }
      case 'review_comment': {
        const prId = await upsertPr(tx, provider, parsed.repo, service, parsed.pr);
        const id = `${provider}:${parsed.comment.id}`;
        if (parsed.action === 'created')
          await repo.insertComment(tx, { ...parsed.comment, id, pr_id: prId, deleted: 0 });
        else if (parsed.action === 'deleted') await repo.deleteComment(tx, id);
        return `review comment ${parsed.action} on #${parsed.pr.number}`;
      }
      case 'files': {
        const existing = await repo.findPr(tx, provider, lc, parsed.number);
        if (!existing) return `no pull request #${parsed.number} yet`;
        const facts = fileFacts(parsed.paths);
        await repo.updatePr(tx, existing.id, {
          files_sha: parsed.sha,
          directories_touched: facts.directories_touched,
          tests_touched: facts.tests_touched ? 1 : 0,
          code_changed: facts.code_changed ? 1 : 0,
        });
        return `file list of #${parsed.number}`;
      }
      case 'check':
        await repo.upsertCheck(tx, { repository_lc: lc, ...parsed.check });
        if (provider === 'github')
          await deps.onGithubChange?.(tx, {
            kind: 'head',
            repository: parsed.repo.full_name,
            sha: parsed.check.sha,
          });
        return `${parsed.check.kind} ${parsed.check.name} ${parsed.check.state}`;
      case 'branch': {
        if (parsed.name === parsed.repo.default_branch) return `default branch ${parsed.action}`;
        const open = await repo.openBranch(tx, lc, parsed.name);
        if (parsed.action === 'create') {
          if (!open)
            await repo.insertBranch(tx, {
              id: newId('wbr'),
              provider,
              repository: parsed.repo.full_name,
              repository_lc: lc,
              service_id: service.id,
              name: parsed.name,
              owner: parsed.actor,
              created_at: parsed.at,
              first_commit_at: null,
              last_push_at: null,
              deleted_at: null,
              push_count: 0,
              force_push_count: 0,
            });
          else if (!open.created_at || parsed.at < open.created_at)
            await repo.updateBranch(tx, open.id, {
              created_at: parsed.at,
              owner: open.owner ?? parsed.actor,
            });
        } else if (open) await repo.updateBranch(tx, open.id, { deleted_at: parsed.at });
        return `branch ${parsed.name} ${parsed.action}d`;
      }
      case 'push': {
        const p = parsed.push;
        const isDefault = p.branch === parsed.repo.default_branch;
        await repo.insertPush(tx, {
          id: deliveryId ? `${provider}:${deliveryId}` : newId('wpu'),
          repository_lc: lc,
          service_id: service.id,
          branch: p.branch,
          pusher: p.pusher,
          is_default: isDefault ? 1 : 0,
          forced: p.forced ? 1 : 0,
          after_sha: p.after_sha,
          commit_count: p.commit_times.length,
          at: p.at,
        });
        if (isDefault) return `push to the default branch ${p.branch}`;
        const open = await repo.openBranch(tx, lc, p.branch);
        if (p.deleted) {
          if (open) await repo.updateBranch(tx, open.id, { deleted_at: p.at });
          return `branch ${p.branch} deleted`;
        }
        const first = p.commit_times[0] ?? null;
        if (!open) {
          await repo.insertBranch(tx, {
            id: newId('wbr'),
            provider,
            repository: parsed.repo.full_name,
            repository_lc: lc,
            service_id: service.id,
            name: p.branch,
            owner: p.pusher,
            created_at: p.created ? p.at : null,
            first_commit_at: first,
            last_push_at: p.at,
            deleted_at: null,
            push_count: 1,
            force_push_count: p.forced ? 1 : 0,
          });
        } else {
          await repo.updateBranch(tx, open.id, {
            first_commit_at:
              [open.first_commit_at, first].filter((t): t is string => t !== null).sort()[0] ?? null,
            last_push_at: open.last_push_at && open.last_push_at > p.at ? open.last_push_at : p.at,
            push_count: open.push_count + 1,
            force_push_count: open.force_push_count + (p.forced ? 1 : 0),
            owner: open.owner ?? p.pusher,
          });
        }
        return `push to ${p.branch}${p.forced ? ' (forced)' : ''}`;
      }
    }
  }

  return {
    /** The DORA receiver's subscriber: verified deliveries only (DORA rejects bad signatures first). */
    async handle(
      delivery: CodeHostDelivery,
      options: { onApplied?: (tx: Db, detail: string) => Promise<void> } = {},
    ): Promise<Result | null> {
      const provider = delivery.provider;
      const kind = (delivery.payload as { object_kind?: unknown } | null)?.object_kind;
      if (provider === 'github' && !GITHUB_EVENTS.has(delivery.event)) return null;
      if (provider === 'gitlab' && (typeof kind !== 'string' || !GITLAB_KINDS.has(kind))) return null;
      const { deliveryId } = delivery;
      if (deliveryId && (await repo.deliverySeen(db, provider, deliveryId)))
        return { status: 'duplicate', detail: `workflow: delivery ${deliveryId} was already applied` };
      const parsed =
        provider === 'github'
          ? [parseGithubEvent(delivery.event, delivery.payload)].filter((e) => e !== null)
          : (parseGitlabEvent(delivery.payload) ?? []);
      const remember = (tx: Db, outcome: string) =>
        deliveryId
          ? repo.recordDelivery(tx, {
              provider,
              delivery_id: deliveryId,
              event: delivery.event,
              outcome,
              received_at: clock.now().toISOString(),
            })
          : Promise.resolve();
      const ignore = async (outcome: string, detail: string): Promise<Result> => {
        try {
          await remember(db, outcome);
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
        }
        return { status: 'ignored', detail: `workflow: ${detail}` };
      };
      const first = parsed[0];
      if (!first) return ignore('not-used', `${delivery.event} payload not used`);
      const service = await serviceFor(first.repo);
      if (!service) return ignore('no-service', 'no service has this repository_url');
      try {
        const detail = await db.transaction().execute(async (tx) => {
          // The delivery first: a concurrent duplicate fails here and changes nothing.
          await remember(tx, 'processed');
          const details: string[] = [];
          for (const record of parsed) details.push(await apply(tx, provider, record, service, deliveryId));
          await options.onApplied?.(tx, details.join(', '));
          return details.join(', ');
        });
        return { status: 'processed', detail: `workflow: ${detail}` };
      } catch (error) {
        if (deliveryId && isUniqueViolation(error) && (await repo.deliverySeen(db, provider, deliveryId)))
          return { status: 'duplicate', detail: `workflow: delivery ${deliveryId} was already applied` };
        throw error;
      }
    },
  };
}

export type WorkflowIngest = ReturnType<typeof createWorkflowIngest>;
