import type { Service } from '@engops/contracts';
import type { Container } from '../container.ts';
import { repositoryKey } from '../modules/dora/index.ts';
import {
  checkRunEvent,
  type PrInput,
  pullRequestEvent,
  pushEvent,
  reviewCommentEvent,
  reviewEvent,
} from '../modules/workflow/github-payloads.ts';
import { systemPrincipal } from '../platform/access/permissions.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const hex = (next: () => number) =>
  Array.from({ length: 40 }, () => Math.floor(next() * 16).toString(16)).join('');

/** Who works on each demo service (code-host logins) and how quickly reviews come. */
const PROFILES: Record<string, { people: string[]; reviewHours: number; prs: number }> = {
  'checkout-api': { people: ['ada', 'bruno', 'chen'], reviewHours: 6, prs: 36 },
  'api-gateway': { people: ['dana', 'emil', 'farah'], reviewHours: 20, prs: 24 },
  'mobile-bff': { people: ['goran', 'hana', 'ivan'], reviewHours: 40, prs: 14 },
};

/** The demo person behind a code-host login (demo.ts creates `<login>@demo.engops.test`). */
const demoEmail = (login: string) => `${login}@demo.engops.test`;

/**
 * Links each GitHub login of the demo pull requests to the demo person of the same name, so reviewer
 * nudges reach someone. A login already linked (to anyone) is left alone; a login whose person does
 * not exist is skipped. Returns how many links it made.
 */
async function linkDemoLogins(container: Container, logins: readonly string[]): Promise<number> {
  const workflow = container.workflow.service;
  const linked = new Set(
    (await workflow.identities()).items.filter((i) => i.provider === 'github').map((i) => i.login),
  );
  let made = 0;
  for (const login of logins) {
    if (linked.has(login)) continue;
    const user = await container.catalog.service.findUserByEmail(demoEmail(login));
    if (!user) continue;
    await workflow.setIdentity(
      { principal: systemPrincipal },
      { provider: 'github', login, user_id: user.id },
    );
    linked.add(login);
    made += 1;
  }
  return made;
}

const TEMPLATE = '## Summary\n<!-- What changes and why -->\n\n## Checklist\n- [ ] Tests added\n';

/**
 * Sixty days of pull requests, reviews, checks and branches for three services, fed through the
 * workflow module's delivery handler exactly as verified GitHub deliveries arrive (deterministic
 * delivery ids, so a second run adds nothing), with the GitHub logins linked to the demo people.
 * Returns how many deliveries it applied plus the links it made.
 */
export async function seedWorkflowDemo(container: Container, services: Service[]): Promise<number> {
  const handle = container.workflow.ingest.handle;
  const now = container.clock.now().getTime();
  let applied = 0;
  for (const service of services) {
    const profile = PROFILES[service.name];
    const key = repositoryKey(service.repository_url);
    if (!profile || !key) continue;
    applied += await linkDemoLogins(container, profile.people);
    const [host, owner, name] = key.split('/') as [string, string, string];
    const repo = { host, owner, name, default_branch: 'main' };
    const next = random(service.name.length * 104_729);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
    const deliveries: Array<[string, unknown]> = [];
    const start = now - 60 * DAY;
    for (let k = 0; k < profile.prs; k++) {
      const opened = start + (k / profile.prs) * 58 * DAY + (9 + next() * 8) * HOUR;
      const author = pick(profile.people);
      const reviewer = pick(profile.people.filter((p) => p !== author));
      const size = Math.round(10 + next() ** 2 * 1200);
      const roll = next();
      const pr: PrInput = {
        number: 100 + k,
        title: pick([
          'Retry on 503',
          'Split config loading',
          'Add audit fields',
          'Bump dependencies',
          'Fix rounding',
          'Cache lookups',
        ]),
        author,
        body:
          roll < 0.1
            ? null
            : roll < 0.18
              ? TEMPLATE
              : `${TEMPLATE.replace('<!-- What changes and why -->', 'Explains the change and why customers need it.')}`,
        head_ref: `${author}/change-${k}`,
        head_sha: hex(next),
        additions: Math.round(size * 0.8),
        deletions: Math.round(size * 0.2),
        changed_files: 1 + Math.floor(size / 60),
        created_at: new Date(opened).toISOString(),
      };
      const iso = (t: number) => new Date(t).toISOString();
      deliveries.push([
        'push',
        pushEvent(repo, {
          branch: pr.head_ref,
          pusher: author,
          after: pr.head_sha,
          created: true,
          commits: [iso(opened - (1 + next() * 40) * HOUR), iso(opened - 0.5 * HOUR)],
        }),
      ]);
      deliveries.push(['pull_request', pullRequestEvent(repo, 'opened', pr)]);
      deliveries.push([
        'pull_request',
        pullRequestEvent(
          repo,
          'review_requested',
          { ...pr, updated_at: iso(opened + 0.2 * HOUR) },
          { requested_reviewer: reviewer },
        ),
      ]);
      const reviewAt = opened + 0.2 * HOUR + profile.reviewHours * (0.2 + next() * 1.8) * HOUR;
      if (reviewAt > now) continue; // still waiting for review
      if (next() < 0.85)
        deliveries.push([
          'check_run',
          checkRunEvent(repo, {
            id: k + 1,
            name: 'build',
            sha: pr.head_sha,
            conclusion: 'success',
            completed_at: iso(opened + 0.4 * HOUR),
          }),
        ]);
      const changes = next() < 0.3;
      deliveries.push([
        'pull_request_review',
        reviewEvent(repo, pr, {
          id: 10_000 + k,
          reviewer,
          state: changes ? 'changes_requested' : 'approved',
          submitted_at: iso(reviewAt),
        }),
      ]);
      let approvedAt = reviewAt;
      if (changes) {
        deliveries.push([
          'pull_request_review_comment',
          reviewCommentEvent(repo, pr, { id: 20_000 + k, author: reviewer, created_at: iso(reviewAt) }),
        ]);
        const fixAt = reviewAt + (1 + next() * 10) * HOUR;
        deliveries.push([
          'push',
          pushEvent(repo, { branch: pr.head_ref, pusher: author, after: pr.head_sha, commits: [iso(fixAt)] }),
        ]);
        approvedAt = fixAt + (1 + next() * 6) * HOUR;
        if (approvedAt > now) continue;
        deliveries.push([
          'pull_request_review',
          reviewEvent(repo, pr, {
            id: 30_000 + k,
            reviewer,
            state: 'approved',
            submitted_at: iso(approvedAt),
          }),
        ]);
      }
      const mergedAt = approvedAt + (0.5 + next() * 5) * HOUR;
      if (mergedAt > now) continue;
      const merge = hex(next);
      deliveries.push([
        'pull_request',
        pullRequestEvent(repo, 'closed', {
          ...pr,
          merged_at: iso(mergedAt),
          merge_commit_sha: merge,
          updated_at: iso(mergedAt),
        }),
      ]);
      deliveries.push([
        'push',
        pushEvent(repo, { branch: 'main', pusher: author, after: merge, commits: [iso(mergedAt)] }),
      ]);
    }
    // One branch nobody merged for two weeks.
    deliveries.push([
      'push',
      pushEvent(repo, {
        branch: `${profile.people[0]}/big-rewrite`,
        pusher: profile.people[0]!,
        after: hex(next),
        created: true,
        commits: [new Date(now - 16 * DAY).toISOString(), new Date(now - 9 * DAY).toISOString()],
      }),
    ]);
    // Two pull requests still waiting for review: one past the reviewers' nudge (half the 24-hour
    // target), one past the target (the team's nudge), so the queue and the nudges have something.
    for (const [j, hoursAgo] of [14, 30].entries()) {
      const opened = now - hoursAgo * HOUR;
      const author = profile.people[j + 1]!;
      const reviewer = profile.people[(j + 2) % profile.people.length]!;
      const pr: PrInput = {
        number: 100 + profile.prs + j,
        title: j === 0 ? 'Tighten the retry budget' : 'Add idempotency keys',
        author,
        body: 'Explains the change and why customers need it.',
        head_ref: `${author}/waiting-${j}`,
        head_sha: hex(next),
        additions: 80 + 40 * j,
        deletions: 20,
        changed_files: 3 + j,
        created_at: new Date(opened).toISOString(),
      };
      deliveries.push(
        [
          'push',
          pushEvent(repo, {
            branch: pr.head_ref,
            pusher: author,
            after: pr.head_sha,
            created: true,
            commits: [new Date(opened - 2 * HOUR).toISOString()],
          }),
        ],
        ['pull_request', pullRequestEvent(repo, 'opened', pr)],
        [
          'pull_request',
          pullRequestEvent(
            repo,
            'review_requested',
            { ...pr, updated_at: new Date(opened + 0.2 * HOUR).toISOString() },
            { requested_reviewer: reviewer },
          ),
        ],
      );
    }
    for (const [i, [event, payload]] of deliveries.entries()) {
      const result = await handle({
        provider: 'github',
        deliveryId: `demo-${service.name}-${i}`,
        event,
        payload,
        receivedAt: new Date(now).toISOString(),
      });
      if (result?.status === 'processed') applied += 1;
    }
  }
  return applied;
}
