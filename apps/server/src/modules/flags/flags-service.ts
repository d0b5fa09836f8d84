import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type {
  ClientFeaturesDocument,
  createFlagSchema,
  createSdkTokenSchema,
  Flag,
  FlagEnvironment,
  SdkToken,
  updateFlagEnvironmentSchema,
  updateFlagSchema,
  upsertSegmentSchema,
} from '@engops/contracts';
import type { z } from 'zod';
import type { Db } from '../../db/database.ts';
import type {
  FlagEnvironmentConfigsTable,
  FlagEnvironmentsTable,
  FlagSegmentsTable,
  FlagsTable,
} from '../../db/schema.ts';
import type { AuditContext, AuditLog } from '../../platform/audit.ts';
import type { Clock } from '../../platform/clock.ts';
import { AppError, isUniqueViolation } from '../../platform/errors.ts';
import { newId, newSecret } from '../../platform/ids.ts';
import { createEngine, type FlagEngine } from './evaluate.ts';
import { flagsRepository as repo } from './kysely-flags-repository.ts';
import { createBulkEvaluator } from './ofrep.ts';
import { type StaleInput, staleFlags } from './stale-flags.ts';
import type { ClientFeature, ClientFeatures, FlagStrategy, Segment, VariantDefinition } from './types.ts';
import {
  checkConstraint,
  checkStrategies,
  checkVariants,
  type DefinitionProblem,
} from './validate-definition.ts';

type CreateFlag = z.output<typeof createFlagSchema>;
type UpdateFlag = z.output<typeof updateFlagSchema>;
type UpdateFlagEnvironment = z.output<typeof updateFlagEnvironmentSchema>;
type UpsertSegment = z.output<typeof upsertSegmentSchema>;
type CreateSdkToken = z.output<typeof createSdkTokenSchema>;

export interface SdkPrincipal {
  tokenId: string;
  type: 'client' | 'frontend';
  environment: string;
}

/** One environment as SDKs see it: the document, its ETag and the compiled engine. */
export interface EnvironmentSnapshot {
  environment: string;
  revision: number;
  etag: string;
  document: ClientFeatures;
  engine: FlagEngine;
  types: ReadonlyMap<string, Flag['type']>;
  /** OFREP bulk evaluation of every flag, as JSON text with an ETag part; `drain` takes its counts. */
  ofrepBulk: ReturnType<typeof createBulkEvaluator>;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Throws FLAGS_INVALID_DEFINITION; paths name the request body field (`body.strategies.0...`). */
function invalid(problems: DefinitionProblem[]): void {
  if (problems.length > 0)
    throw new AppError('FLAGS_INVALID_DEFINITION', 'The flag definition is invalid.', {
      errors: problems.map((p) =>
        /^(body|query)\./.test(p.path) ? p : { path: `body.${p.path}`, message: p.message },
      ),
    });
}

function toEnvironment(row: {
  key: string;
  name: string;
  sort_order: number;
  require_approval: number;
  created_at: string;
}): FlagEnvironment {
  return {
    key: row.key,
    name: row.name,
    sort_order: row.sort_order,
    require_approval: row.require_approval === 1,
    created_at: row.created_at,
  };
}

function toFlag(row: FlagsTable, configs: FlagEnvironmentConfigsTable[], environments: string[]): Flag {
  const byEnv = new Map(configs.map((c) => [c.environment, c]));
  const envs: Flag['environments'] = {};
  for (const env of environments) {
    const c = byEnv.get(env);
    envs[env] = c
      ? {
          enabled: c.enabled === 1,
          strategies: JSON.parse(c.strategies_json),
          variants: c.variants_json === null ? null : JSON.parse(c.variants_json),
          updated_at: c.updated_at,
        }
      : { enabled: false, strategies: [], variants: null, updated_at: null };
  }
  return {
    key: row.key,
    description: row.description,
    type: row.type as Flag['type'],
    owner_team_id: row.owner_team_id,
    tags: JSON.parse(row.tags_json),
    variants: JSON.parse(row.variants_json),
    dependencies: JSON.parse(row.dependencies_json),
    impression_data: row.impression_data === 1,
    version: row.version,
    environments: envs,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function toSegment(row: FlagSegmentsTable) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    constraints: JSON.parse(row.constraints_json),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function toToken(row: {
  id: string;
  name: string;
  type: string;
  environment: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}): SdkToken {
  return {
    id: row.id,
    name: row.name,
    type: row.type as SdkToken['type'],
    environment: row.environment,
    prefix: row.prefix,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
  };
}

/** Infers a flag type from imported variants' payloads. */
function inferType(variants: readonly VariantDefinition[]): Flag['type'] {
  const types = new Set(variants.map((v) => v.payload?.type).filter(Boolean));
  if (types.size !== 1) return 'boolean';
  const [t] = [...types];
  return t === 'string' || t === 'number' || t === 'json' ? t : 'boolean';
}

export function createFlagsService(deps: { db: Db; clock: Clock; audit: AuditLog; hostname?: string }) {
  const { db, clock, audit } = deps;
  const snapshots = new Map<string, EnvironmentSnapshot>();
  /** When each cached snapshot's revision was last read from the database (performance.now()). */
  const checkedAt = new Map<string, number>();
  /** SDK tokens by hash, for a second: a revocation in another process is seen within 1 s. */
  const sdkTokens = new Map<string, { principal: SdkPrincipal | null; until: number }>();
  /**
   * How long a snapshot serves without re-reading its environment's revision. Writes through this
   * process drop the cache at once; writes by another process (two servers on one PostgreSQL) are
   * seen within this time.
   */
  const REVISION_TTL_MS = 200;
  const invalidate = () => {
    checkedAt.clear();
    sdkTokens.clear();
  };
  // ---- evaluations served here (OFREP, /api/frontend): counted in memory, added to the hourly
  // SDK metrics every FLUSH_MS and before a report reads them ----
  const FLUSH_MS = 10_000;
  const served = new Map<
    string,
    { environment: string; app: string; flag: string; yes: number; no: number; variants: Map<string, number> }
  >();
  let flushScheduled = false;
  /** Flushes FLUSH_MS from now (once), while evaluations are being served. */
  function scheduleFlush() {
    if (flushScheduled) return;
    flushScheduled = true;
    setTimeout(() => {
      flushScheduled = false;
      flushServed().catch(() => {
        // The database is gone (the server is stopping): these counts are lost, as an SDK's would be.
      });
    }, FLUSH_MS).unref();
  }
  function countServed(
    environment: string,
    app: string,
    flag: string,
    yes: number,
    no: number,
    variant?: string,
  ) {
    const key = `${environment}\u0000${app}\u0000${flag}`;
    let c = served.get(key);
    if (!c) {
      c = { environment, app, flag, yes: 0, no: 0, variants: new Map() };
      served.set(key, c);
    }
    c.yes += yes;
    c.no += no;
    if (variant !== undefined) c.variants.set(variant, (c.variants.get(variant) ?? 0) + 1);
    scheduleFlush();
  }
  function drainBulk(snapshot: EnvironmentSnapshot) {
    for (const c of snapshot.ofrepBulk.drain())
      countServed(snapshot.environment, 'ofrep', c.key, c.yes, c.no);
  }
  async function flushServed(): Promise<void> {
    for (const snapshot of snapshots.values()) drainBulk(snapshot);
    if (served.size === 0) return;
    const batch = [...served.values()];
    served.clear();
    const hour = `${clock.now().toISOString().slice(0, 13)}:00:00.000Z`;
    await db.transaction().execute(async (tx) => {
      for (const c of batch) {
        const row = { flag_key: c.flag, environment: c.environment, hour, app_name: `engops-${c.app}` };
        await repo.addMetric(tx, { ...row, variant: '', yes: c.yes, no: c.no });
        for (const [variant, n] of c.variants) await repo.addMetric(tx, { ...row, variant, yes: n, no: 0 });
      }
    });
  }

  /** A transaction whose commit makes SDK answers change: the caches are dropped before and after. */
  async function write<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    invalidate();
    try {
      return await db.transaction().execute(fn);
    } finally {
      invalidate();
      if (watchers.size > 0) void pollRevisions();
    }
  }

  // ---- change watchers (the SSE stream): one poll of every revision for the whole process ----
  const watchers = new Map<string, Set<(revision: number) => void>>();
  const seenRevisions = new Map<string, number>();
  let pollTimer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  /** How often a process looks for changes made by another process (its own writes poll at once). */
  const WATCH_POLL_MS = 250;

  function pollRevisions(): Promise<void> {
    polling ??= (async () => {
      try {
        for (const { key, revision } of await repo.revisions(db)) {
          const seen = seenRevisions.get(key);
          seenRevisions.set(key, revision);
          if (seen === undefined || seen === revision) continue;
          checkedAt.delete(key);
          for (const listener of watchers.get(key) ?? []) listener(revision);
        }
      } catch {
        // The database is away (shutting down): the next poll tries again.
      } finally {
        polling = undefined;
      }
    })();
    return polling;
  }
  const now = () => clock.now().toISOString();

  async function environmentKeys(tx: Db): Promise<string[]> {
    return (await repo.listEnvironments(tx)).map((e) => e.key);
  }

  async function requireEnvironment(tx: Db, key: string) {
    const env = await repo.findEnvironment(tx, key);
    if (!env) throw new AppError('FLAGS_ENVIRONMENT_NOT_FOUND', `No environment ${key}.`);
    return env;
  }

  async function loadFlag(tx: Db, key: string): Promise<Flag> {
    const row = await repo.findFlag(tx, key);
    if (!row) throw new AppError('FLAGS_NOT_FOUND', `No flag ${key}.`);
    return toFlag(row, await repo.listConfigs(tx, [key]), await environmentKeys(tx));
  }

  /**
   * Dependencies are one level deep, as in Unleash: a parent must exist and have no parent itself,
   * and a flag that is a parent cannot get one.
   */
  async function checkDependencies(tx: Db, key: string, deps: CreateFlag['dependencies']): Promise<void> {
    const problems: DefinitionProblem[] = [];
    for (const [i, dep] of (deps ?? []).entries()) {
      const parent = dep.feature === key ? undefined : await repo.findFlag(tx, dep.feature);
      if (dep.feature === key)
        problems.push({ path: `dependencies.${i}`, message: 'a flag cannot depend on itself' });
      else if (!parent)
        problems.push({ path: `dependencies.${i}.feature`, message: `no flag ${dep.feature}` });
      else if ((JSON.parse(parent.dependencies_json) as unknown[]).length > 0)
        problems.push({
          path: `dependencies.${i}.feature`,
          message: `${dep.feature} depends on another flag itself (one level only)`,
        });
    }
    if ((deps ?? []).length > 0) {
      const child = (await repo.listFlags(tx)).find((f) =>
        (JSON.parse(f.dependencies_json) as Array<{ feature: string }>).some((d) => d.feature === key),
      );
      if (child)
        problems.push({
          path: 'dependencies',
          message: `${child.key} depends on ${key}, so ${key} cannot depend on another flag (one level only)`,
        });
    }
    invalid(problems);
  }

  async function checkSegments(tx: Db, strategies: readonly FlagStrategy[]): Promise<void> {
    const problems: DefinitionProblem[] = [];
    for (const [i, s] of strategies.entries())
      for (const id of s.segments ?? [])
        if (!(await repo.findSegment(tx, id)))
          problems.push({ path: `strategies.${i}.segments`, message: `no segment ${id}` });
    invalid(problems);
  }

  async function buildDocument(
    tx: Db,
    environment: string,
  ): Promise<{ doc: ClientFeatures; types: Map<string, Flag['type']> }> {
    const flags = await repo.listFlags(tx);
    const configs = new Map((await repo.configsOfEnvironment(tx, environment)).map((c) => [c.flag_key, c]));
    const types = new Map<string, Flag['type']>();
    const features: ClientFeature[] = flags.map((f) => {
      types.set(f.key, f.type as Flag['type']);
      const c = configs.get(f.key);
      const dependencies = JSON.parse(f.dependencies_json) as ClientFeature['dependencies'];
      const feature: ClientFeature = {
        name: f.key,
        description: f.description,
        type: 'release',
        project: 'default',
        stale: false,
        enabled: c?.enabled === 1,
        impressionData: f.impression_data === 1,
        strategies: c ? (JSON.parse(c.strategies_json) as FlagStrategy[]) : [],
        variants: c?.variants_json ? JSON.parse(c.variants_json) : JSON.parse(f.variants_json),
      };
      if (dependencies && dependencies.length > 0) feature.dependencies = dependencies;
      return feature;
    });
    const segments: Segment[] = (await repo.listSegments(tx)).map((s) => ({
      id: s.id,
      name: s.name,
      constraints: JSON.parse(s.constraints_json),
    }));
    return { doc: { version: 2, features, segments }, types };
  }

  async function bump(tx: Db, environments: string[] | 'all'): Promise<void> {
    await repo.bumpRevision(tx, environments, now());
  }

  function checkEnvironmentPatch(patch: UpdateFlagEnvironment): void {
    if (patch.strategies) invalid(checkStrategies(patch.strategies as FlagStrategy[]));
    if (patch.variants) invalid(checkVariants(patch.variants, 'variants'));
  }

  /** True when the patch only turns the flag off (the kill switch, never held for approval). */
  const isKillSwitch = (patch: UpdateFlagEnvironment) =>
    patch.enabled === false && patch.strategies === undefined && patch.variants === undefined;

  /** {@link updateEnvironment} inside `tx`; `approved` skips the approval check (already approved). */
  async function updateEnvironmentIn(
    tx: Db,
    ctx: AuditContext,
    key: string,
    environment: string,
    patch: UpdateFlagEnvironment,
    options: { approved?: boolean; action?: string } = {},
  ): Promise<Flag> {
    const env = await requireEnvironment(tx, environment);
    const before = await loadFlag(tx, key);
    if (env.require_approval === 1 && !options.approved && !isKillSwitch(patch))
      throw new AppError(
        'FLAGS_APPROVAL_REQUIRED',
        `Changes to ${key} in ${environment} need approval: submit a change request.`,
      );
    if (patch.strategies) await checkSegments(tx, patch.strategies as FlagStrategy[]);
    const current = before.environments[environment];
    const enabled = patch.enabled ?? current?.enabled ?? false;
    const strategies = patch.strategies ?? current?.strategies ?? [];
    const variants = patch.variants !== undefined ? patch.variants : (current?.variants ?? null);
    const at = now();
    await repo.upsertConfig(tx, {
      flag_key: key,
      environment,
      enabled: enabled ? 1 : 0,
      strategies_json: JSON.stringify(strategies),
      variants_json: variants === null ? null : JSON.stringify(variants),
      updated_at: at,
    });
    await repo.updateFlag(tx, key, { version: before.version + 1, updated_at: at });
    await bump(tx, [environment]);
    const after = await loadFlag(tx, key);
    await audit.record(tx, ctx, {
      action:
        options.action ??
        (patch.enabled !== undefined && Object.keys(patch).length === 1
          ? enabled
            ? 'flags.environment.on'
            : 'flags.environment.off'
          : 'flags.environment.update'),
      targetType: 'flag',
      targetId: `${key}@${environment}`,
      teamId: after.owner_team_id,
      before: before.environments[environment],
      after: after.environments[environment],
    });
    return after;
  }

  return {
    // ---- environments ----
    async listEnvironments(): Promise<FlagEnvironment[]> {
      return (await repo.listEnvironments(db)).map(toEnvironment);
    },
    async createEnvironment(
      ctx: AuditContext,
      input: { key: string; name: string },
    ): Promise<FlagEnvironment> {
      try {
        return await write(async (tx) => {
          const at = now();
          const count = (await repo.listEnvironments(tx)).length;
          const row = {
            key: input.key,
            name: input.name,
            sort_order: count,
            revision: 1,
            require_approval: 0,
            created_at: at,
            updated_at: at,
          };
          await repo.insertEnvironment(tx, row);
          const env = toEnvironment(row);
          await audit.record(tx, ctx, {
            action: 'flags.environment.create',
            targetType: 'flag_environment',
            targetId: input.key,
            after: env,
          });
          return env;
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AppError('FLAGS_KEY_TAKEN', `Environment ${input.key} exists.`, { cause: error });
        throw error;
      }
    },

    // ---- flags ----
    async listFlags(
      filter: { tag?: string | undefined; owner_team_id?: string | undefined } = {},
    ): Promise<Flag[]> {
      const rows = await repo.listFlags(db);
      const configs = await repo.listConfigs(db);
      const envs = await environmentKeys(db);
      return rows
        .map((r) =>
          toFlag(
            r,
            configs.filter((c) => c.flag_key === r.key),
            envs,
          ),
        )
        .filter((f) => (filter.tag ? f.tags.includes(filter.tag) : true))
        .filter((f) => (filter.owner_team_id ? f.owner_team_id === filter.owner_team_id : true));
    },
    getFlag: (key: string) => loadFlag(db, key),
    getFlagIn: loadFlag,
    requireEnvironmentIn: requireEnvironment,
    async createFlag(ctx: AuditContext, input: CreateFlag): Promise<Flag> {
      invalid(checkVariants(input.variants ?? [], 'variants'));
      try {
        return await write(async (tx) => {
          await checkDependencies(tx, input.key, input.dependencies);
          const at = now();
          await repo.insertFlag(tx, {
            key: input.key,
            description: input.description ?? null,
            type: input.type,
            owner_team_id: input.owner_team_id ?? null,
            tags_json: JSON.stringify(input.tags ?? []),
            variants_json: JSON.stringify(input.variants ?? []),
            dependencies_json: JSON.stringify(input.dependencies ?? []),
            impression_data: input.impression_data ? 1 : 0,
            version: 1,
            archived_at: null,
            created_by: ctx.principal.name,
            created_at: at,
            updated_at: at,
          });
          await bump(tx, 'all');
          const flag = await loadFlag(tx, input.key);
          await audit.record(tx, ctx, {
            action: 'flags.create',
            targetType: 'flag',
            targetId: input.key,
            teamId: flag.owner_team_id,
            after: flag,
          });
          return flag;
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AppError('FLAGS_KEY_TAKEN', `Flag ${input.key} exists.`, { cause: error });
        throw error;
      }
    },
    updateFlag(ctx: AuditContext, key: string, patch: UpdateFlag): Promise<Flag> {
      if (patch.variants) invalid(checkVariants(patch.variants, 'variants'));
      return write(async (tx) => {
        const before = await loadFlag(tx, key);
        if (patch.dependencies) await checkDependencies(tx, key, patch.dependencies);
        const set: Partial<FlagsTable> = { version: before.version + 1, updated_at: now() };
        if (patch.description !== undefined) set.description = patch.description;
        if (patch.type !== undefined) set.type = patch.type;
        if (patch.owner_team_id !== undefined) set.owner_team_id = patch.owner_team_id;
        if (patch.tags !== undefined) set.tags_json = JSON.stringify(patch.tags);
        if (patch.variants !== undefined) set.variants_json = JSON.stringify(patch.variants);
        if (patch.dependencies !== undefined) set.dependencies_json = JSON.stringify(patch.dependencies);
        if (patch.impression_data !== undefined) set.impression_data = patch.impression_data ? 1 : 0;
        await repo.updateFlag(tx, key, set);
        await bump(tx, 'all');
        const after = await loadFlag(tx, key);
        await audit.record(tx, ctx, {
          action: 'flags.update',
          targetType: 'flag',
          targetId: key,
          teamId: after.owner_team_id,
          before,
          after,
        });
        return after;
      });
    },
    /**
     * Changes a flag in one environment. In an environment that requires approval only turning
     * the flag off (the kill switch) applies directly; anything else is FLAGS_APPROVAL_REQUIRED
     * (change requests and rollout plans call {@link updateEnvironmentIn} with `approved`).
     */
    updateEnvironment(
      ctx: AuditContext,
      key: string,
      environment: string,
      patch: UpdateFlagEnvironment,
    ): Promise<Flag> {
      checkEnvironmentPatch(patch);
      return write((tx) => updateEnvironmentIn(tx, ctx, key, environment, patch));
    },
    updateEnvironmentIn,
    checkEnvironmentPatch,
    /** A transaction for changes made outside this file (rollout plans, change requests): see write. */
    transact: write,
    /** Environment name and approval setting (audited). */
    updateEnvironmentSettings(
      ctx: AuditContext,
      key: string,
      patch: { name?: string | undefined; require_approval?: boolean | undefined },
    ): Promise<FlagEnvironment> {
      return write(async (tx) => {
        const before = toEnvironment(await requireEnvironment(tx, key));
        const set: Partial<FlagEnvironmentsTable> = { updated_at: now() };
        if (patch.name !== undefined) set.name = patch.name;
        if (patch.require_approval !== undefined) set.require_approval = patch.require_approval ? 1 : 0;
        await repo.updateEnvironment(tx, key, set);
        const after = toEnvironment(await requireEnvironment(tx, key));
        await audit.record(tx, ctx, {
          action: 'flags.environment.settings',
          targetType: 'flag_environment',
          targetId: key,
          before,
          after,
        });
        return after;
      });
    },
    /**
     * Archives a flag: SDKs stop seeing it. Refused while it is on in an environment that requires
     * approval (turn it off there first: that is the change people must see).
     */
    archiveFlag(ctx: AuditContext, key: string): Promise<Flag> {
      return write(async (tx) => {
        const before = await loadFlag(tx, key);
        const protectedOn = (await repo.listEnvironments(tx)).filter(
          (e) => e.require_approval === 1 && before.environments[e.key]?.enabled,
        );
        if (protectedOn.length > 0)
          throw new AppError(
            'FLAGS_APPROVAL_REQUIRED',
            `Turn ${key} off in ${protectedOn.map((e) => e.key).join(', ')} before archiving it.`,
          );
        const dependants = (await repo.listFlags(tx)).filter((f) =>
          (JSON.parse(f.dependencies_json) as Array<{ feature: string }>).some((d) => d.feature === key),
        );
        if (dependants.length > 0)
          invalid([
            {
              path: 'key',
              message: `flags ${dependants.map((f) => f.key).join(', ')} depend on ${key}`,
            },
          ]);
        const at = now();
        await repo.updateFlag(tx, key, { archived_at: at, updated_at: at, version: before.version + 1 });
        await bump(tx, 'all');
        await audit.record(tx, ctx, {
          action: 'flags.archive',
          targetType: 'flag',
          targetId: key,
          teamId: before.owner_team_id,
          before,
          after: { ...before, archived_at: at },
        });
        return before;
      });
    },
    /** Flags ready for cleanup in an environment (see stale-flags.ts). */
    async staleReport(environment: string, options: { afterDays: number; unusedDays: number }) {
      await requireEnvironment(db, environment);
      await flushServed();
      const configs = new Map((await repo.configsOfEnvironment(db, environment)).map((c) => [c.flag_key, c]));
      const lastEvaluated = await repo.lastEvaluated(db);
      const inputs: StaleInput[] = (await repo.listFlags(db)).map((f) => {
        const c = configs.get(f.key);
        return {
          key: f.key,
          owner_team_id: f.owner_team_id,
          created_at: f.created_at,
          enabled: c?.enabled === 1,
          strategies: c ? (JSON.parse(c.strategies_json) as FlagStrategy[]) : [],
          changed_at: c?.updated_at ?? null,
          last_evaluated_at: lastEvaluated.get(f.key) ?? null,
        };
      });
      return staleFlags(inputs, clock.now(), options);
    },
    /** Archived flags, newest first. */
    async listArchived(): Promise<Array<{ key: string; description: string | null; archived_at: string }>> {
      return (await repo.listArchived(db)).map((r) => ({
        key: r.key,
        description: r.description,
        archived_at: r.archived_at as string,
      }));
    },
    /** Brings an archived flag back (off in every environment it was off in; as it was). */
    reviveFlag(ctx: AuditContext, key: string): Promise<Flag> {
      return write(async (tx) => {
        const row = await repo.findArchived(tx, key);
        if (!row) throw new AppError('FLAGS_NOT_FOUND', `No archived flag ${key}.`);
        // Revived flags come back off everywhere: nothing is served again without a decision.
        for (const c of await repo.listConfigs(tx, [key]))
          await repo.upsertConfig(tx, { ...c, enabled: 0, updated_at: now() });
        await repo.updateFlag(tx, key, { archived_at: null, updated_at: now(), version: row.version + 1 });
        await bump(tx, 'all');
        const after = await loadFlag(tx, key);
        await audit.record(tx, ctx, {
          action: 'flags.revive',
          targetType: 'flag',
          targetId: key,
          teamId: after.owner_team_id,
          after,
        });
        return after;
      });
    },

    // ---- segments ----
    async listSegments() {
      return (await repo.listSegments(db)).map(toSegment);
    },
    async upsertSegment(ctx: AuditContext, id: number | null, input: UpsertSegment) {
      invalid(input.constraints.flatMap((c, i) => checkConstraint(c, `constraints.${i}`)));
      try {
        return await write(async (tx) => {
          const at = now();
          const before = id === null ? undefined : await repo.findSegment(tx, id);
          if (id !== null && !before) throw new AppError('FLAGS_SEGMENT_NOT_FOUND', `No segment ${id}.`);
          const segmentId = id ?? (await repo.nextSegmentId(tx));
          if (before)
            await repo.updateSegment(tx, segmentId, {
              name: input.name,
              description: input.description ?? null,
              constraints_json: JSON.stringify(input.constraints),
              updated_at: at,
            });
          else
            await repo.insertSegment(tx, {
              id: segmentId,
              name: input.name,
              description: input.description ?? null,
              constraints_json: JSON.stringify(input.constraints),
              created_at: at,
              updated_at: at,
            });
          await bump(tx, 'all');
          const after = toSegment((await repo.findSegment(tx, segmentId)) as FlagSegmentsTable);
          await audit.record(tx, ctx, {
            action: before ? 'flags.segment.update' : 'flags.segment.create',
            targetType: 'flag_segment',
            targetId: String(segmentId),
            before: before ? toSegment(before) : undefined,
            after,
          });
          return after;
        });
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AppError('FLAGS_KEY_TAKEN', `Segment ${input.name} exists.`, { cause: error });
        throw error;
      }
    },

    // ---- import / export (Unleash client-features format) ----
    async exportEnvironment(environment: string): Promise<ClientFeatures> {
      await requireEnvironment(db, environment);
      return (await buildDocument(db, environment)).doc;
    },
    importEnvironment(ctx: AuditContext, environment: string, doc: ClientFeaturesDocument) {
      const problems: DefinitionProblem[] = [];
      doc.features.forEach((f, i) => {
        problems.push(...checkStrategies((f.strategies ?? []) as FlagStrategy[], `features.${i}.strategies`));
        problems.push(...checkVariants(f.variants ?? [], `features.${i}.variants`));
      });
      (doc.segments ?? []).forEach((s, i) => {
        s.constraints.forEach((c, j) => {
          problems.push(...checkConstraint(c, `segments.${i}.constraints.${j}`));
        });
      });
      invalid(problems);
      return write(async (tx) => {
        await requireEnvironment(tx, environment);
        // Segments and parents named must be in the document or already here; parents one level.
        const docSegments = new Set((doc.segments ?? []).map((s) => s.id));
        const docFeatures = new Map(doc.features.map((f) => [f.name, f]));
        for (const [i, f] of doc.features.entries()) {
          for (const [k, strategy] of (f.strategies ?? []).entries())
            for (const id of strategy.segments ?? [])
              if (!docSegments.has(id) && !(await repo.findSegment(tx, id)))
                problems.push({
                  path: `features.${i}.strategies.${k}.segments`,
                  message: `no segment ${id}`,
                });
          for (const [j, dep] of (f.dependencies ?? []).entries()) {
            const inDoc = docFeatures.get(dep.feature);
            const stored = inDoc ? undefined : await repo.findFlag(tx, dep.feature);
            const path = `features.${i}.dependencies.${j}.feature`;
            if (dep.feature === f.name) problems.push({ path, message: 'a flag cannot depend on itself' });
            else if (!inDoc && !stored) problems.push({ path, message: `no flag ${dep.feature}` });
            else if (
              (inDoc?.dependencies ?? (stored ? (JSON.parse(stored.dependencies_json) as unknown[]) : []))
                .length > 0
            )
              problems.push({
                path,
                message: `${dep.feature} depends on another flag itself (one level only)`,
              });
          }
        }
        invalid(problems);
        const at = now();
        for (const s of doc.segments ?? []) {
          const existing = await repo.findSegment(tx, s.id);
          const row = {
            name: s.name ?? `segment-${s.id}`,
            description: null,
            constraints_json: JSON.stringify(s.constraints),
            updated_at: at,
          };
          if (existing) await repo.updateSegment(tx, s.id, row);
          else await repo.insertSegment(tx, { id: s.id, ...row, created_at: at });
        }
        for (const f of doc.features) {
          const existing = await repo.findFlag(tx, f.name);
          const variants = f.variants ?? [];
          const dependencies = f.dependencies ?? [];
          if (existing) {
            await repo.updateFlag(tx, f.name, {
              description: f.description ?? existing.description,
              dependencies_json: JSON.stringify(dependencies),
              impression_data: f.impressionData ? 1 : 0,
              version: existing.version + 1,
              updated_at: at,
            });
          } else {
            await repo.insertFlag(tx, {
              key: f.name,
              description: f.description ?? null,
              type: inferType(variants),
              owner_team_id: null,
              tags_json: '[]',
              variants_json: JSON.stringify(variants),
              dependencies_json: JSON.stringify(dependencies),
              impression_data: f.impressionData ? 1 : 0,
              version: 1,
              archived_at: null,
              created_by: ctx.principal.name,
              created_at: at,
              updated_at: at,
            });
          }
          await repo.upsertConfig(tx, {
            flag_key: f.name,
            environment,
            enabled: f.enabled ? 1 : 0,
            strategies_json: JSON.stringify(f.strategies ?? []),
            variants_json: JSON.stringify(variants),
            updated_at: at,
          });
        }
        await bump(tx, 'all');
        const result = { environment, flags: doc.features.length, segments: (doc.segments ?? []).length };
        await audit.record(tx, ctx, {
          action: 'flags.import',
          targetType: 'flag_environment',
          targetId: environment,
          after: { ...result, features: doc.features.map((f) => f.name) },
        });
        return result;
      });
    },

    // ---- SDK tokens ----
    async listSdkTokens(): Promise<SdkToken[]> {
      return (await repo.listTokens(db)).map(toToken);
    },
    createSdkToken(ctx: AuditContext, input: CreateSdkToken): Promise<SdkToken & { token: string }> {
      return write(async (tx) => {
        if (!(await repo.findEnvironment(tx, input.environment)))
          throw new AppError('FLAGS_ENVIRONMENT_NOT_FOUND', `No environment ${input.environment}.`, {
            errors: [{ path: 'body.environment', message: `no environment ${input.environment}` }],
          });
        const token = newSecret(`eof${input.type === 'client' ? 'c' : 'f'}_${input.environment}.`, 24);
        const row = {
          id: newId('sdkt'),
          name: input.name,
          type: input.type,
          environment: input.environment,
          token_hash: hashToken(token),
          prefix: token.slice(0, token.indexOf('.') + 5),
          created_by: ctx.principal.name,
          created_at: now(),
          last_used_at: null,
          revoked_at: null,
        };
        await repo.insertToken(tx, row);
        const view = toToken(row);
        await audit.record(tx, ctx, {
          action: 'flags.sdk_token.create',
          targetType: 'flag_sdk_token',
          targetId: row.id,
          after: view,
        });
        return { ...view, token };
      });
    },
    revokeSdkToken(ctx: AuditContext, id: string): Promise<SdkToken> {
      return write(async (tx) => {
        const row = await repo.findToken(tx, id);
        if (!row) throw new AppError('HTTP_NOT_FOUND', `No SDK token ${id}.`);
        const before = toToken(row);
        if (!row.revoked_at) await repo.updateToken(tx, id, { revoked_at: now() });
        const after = toToken((await repo.findToken(tx, id)) ?? row);
        await audit.record(tx, ctx, {
          action: 'flags.sdk_token.revoke',
          targetType: 'flag_sdk_token',
          targetId: id,
          before,
          after,
        });
        return after;
      });
    },
    /** The SDK token behind an Authorization value (raw, or `Bearer <token>`), or null. */
    async authenticateSdk(header: string | undefined): Promise<SdkPrincipal | null> {
      if (!header) return null;
      const token = header.replace(/^Bearer\s+/i, '').trim();
      if (!token) return null;
      const hash = hashToken(token);
      const cached = sdkTokens.get(hash);
      if (cached && cached.until > performance.now()) return cached.principal;
      const row = await repo.findTokenByHash(db, hash);
      const principal: SdkPrincipal | null =
        !row || row.revoked_at
          ? null
          : { tokenId: row.id, type: row.type as SdkPrincipal['type'], environment: row.environment };
      // last_used_at to the hour: at most one write per token and hour.
      const at = clock.now();
      if (principal && row && (!row.last_used_at || at.getTime() - Date.parse(row.last_used_at) >= 3600_000))
        await repo.updateToken(db, row.id, { last_used_at: at.toISOString() });
      if (sdkTokens.size >= 10_000) sdkTokens.clear();
      sdkTokens.set(hash, { principal, until: performance.now() + 1000 });
      return principal;
    },

    /**
     * Calls `listener` with the new revision whenever `environment` changes (in this process at
     * once, in another within WATCH_POLL_MS). Returns the function that stops watching.
     */
    async watch(environment: string, listener: (revision: number) => void): Promise<() => void> {
      const env = await requireEnvironment(db, environment);
      if (!seenRevisions.has(environment)) seenRevisions.set(environment, env.revision);
      let set = watchers.get(environment);
      if (!set) {
        set = new Set();
        watchers.set(environment, set);
      }
      set.add(listener);
      if (!pollTimer) {
        pollTimer = setInterval(() => void pollRevisions(), WATCH_POLL_MS);
        pollTimer.unref?.();
      }
      return () => {
        set.delete(listener);
        if (set.size === 0) watchers.delete(environment);
        if (watchers.size === 0 && pollTimer) {
          clearInterval(pollTimer);
          pollTimer = undefined;
        }
      };
    },

    /** The current document and compiled engine of an environment, rebuilt only when it changed. */
    async snapshot(environment: string): Promise<EnvironmentSnapshot> {
      scheduleFlush();
      const cached = snapshots.get(environment);
      const checked = checkedAt.get(environment);
      if (cached && checked !== undefined && performance.now() - checked < REVISION_TTL_MS) return cached;
      const readAt = performance.now();
      const env = await requireEnvironment(db, environment);
      if (cached && cached.revision === env.revision) {
        checkedAt.set(environment, readAt);
        return cached;
      }
      const { doc, types } = await buildDocument(db, environment);
      const engine = createEngine(doc, {
        now: () => clock.now(),
        ...(deps.hostname ? { hostname: deps.hostname } : {}),
      });
      if (cached) drainBulk(cached);
      const snapshot: EnvironmentSnapshot = {
        environment,
        revision: env.revision,
        etag: `"${environment}:${env.revision}"`,
        document: doc,
        engine,
        types,
        ofrepBulk: createBulkEvaluator(engine, types, environment),
      };
      snapshots.set(environment, snapshot);
      checkedAt.set(environment, readAt);
      return snapshot;
    },

    /**
     * Counts one evaluation served here (`app`: ofrep or frontend) for SDK usage and the stale-flag
     * report; a variant other than the flag's on/off is counted too.
     */
    countServed(
      environment: string,
      app: 'ofrep' | 'frontend',
      flag: string,
      enabled: boolean,
      variant?: string,
    ) {
      countServed(environment, app, flag, enabled ? 1 : 0, enabled ? 0 : 1, variant);
    },
    /** Writes the evaluations served so far (the server does it every 10 s and before reports). */
    flushServed,

    // ---- what SDKs report ----
    async registerClient(environment: string, body: Record<string, unknown>): Promise<void> {
      const appName = typeof body.appName === 'string' ? body.appName.slice(0, 200) : 'unknown';
      const instanceId = typeof body.instanceId === 'string' ? body.instanceId.slice(0, 200) : 'unknown';
      await repo.upsertInstance(db, {
        app_name: appName,
        instance_id: instanceId,
        environment,
        sdk_version: typeof body.sdkVersion === 'string' ? body.sdkVersion.slice(0, 100) : null,
        strategies_json: JSON.stringify(Array.isArray(body.strategies) ? body.strategies.slice(0, 100) : []),
        interval_ms: typeof body.interval === 'number' ? Math.trunc(body.interval) : null,
        started_at: typeof body.started === 'string' ? body.started : null,
        last_seen_at: now(),
      });
    },
    /** Unleash metrics: `{appName, bucket: {start, stop, toggles: {name: {yes, no, variants}}}}`, kept per hour. */
    async recordMetrics(environment: string, body: Record<string, unknown>): Promise<void> {
      const appName = typeof body.appName === 'string' ? body.appName.slice(0, 200) : 'unknown';
      const bucket = (body.bucket ?? {}) as {
        start?: unknown;
        toggles?: Record<string, { yes?: unknown; no?: unknown; variants?: Record<string, unknown> }>;
      };
      const start =
        typeof bucket.start === 'string' && !Number.isNaN(Date.parse(bucket.start))
          ? new Date(bucket.start)
          : clock.now();
      const hour = `${start.toISOString().slice(0, 13)}:00:00.000Z`;
      const count = (v: unknown) =>
        typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.trunc(v) : 0;
      const toggles = Object.entries(bucket.toggles ?? {}).slice(0, 5000);
      await db.transaction().execute(async (tx) => {
        for (const [name, t] of toggles) {
          if (name.length > 200) continue;
          await repo.addMetric(tx, {
            flag_key: name,
            environment,
            hour,
            app_name: appName,
            variant: '',
            yes: count(t.yes),
            no: count(t.no),
          });
          for (const [variant, n] of Object.entries(t.variants ?? {}).slice(0, 100))
            if (count(n) > 0)
              await repo.addMetric(tx, {
                flag_key: name,
                environment,
                hour,
                app_name: appName,
                variant: variant.slice(0, 200),
                yes: count(n),
                no: 0,
              });
        }
      });
    },
    async metricsOf(key: string) {
      await flushServed();
      return repo.metricsOf(db, key);
    },
  };
}

export type FlagsService = ReturnType<typeof createFlagsService>;
