import type {
  FindingStatus,
  SecurityFinding,
  SecuritySeverity,
  UploadedFinding,
  uploadScanSchema,
} from '@engops/contracts';
import type { z } from 'zod';
import type { Db } from '../../db/database.ts';
import { type Principal, systemPrincipal } from '../../platform/access/permissions.ts';
import type { AuditContext } from '../../platform/audit.ts';
import { AppError, isUniqueViolation } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { decodeCursor, encodeCursor, type Page } from '../../platform/pagination.ts';
import type { FindingRow } from './kysely-security-repository.ts';
import { allServices, readableTeams, type SecurityContext, writableService } from './security-deps.ts';
import { findingDueAt, isOverdue } from './security-rules.ts';

/** An upload as the route gives it; server-side scans may leave out `ignored` (none). */
type Upload = Omit<z.output<typeof uploadScanSchema>, 'ignored'> & {
  ignored?: z.output<typeof uploadScanSchema>['ignored'];
};
type Authorize = (
  permission: 'security.read' | 'security.write' | 'security.triage',
  teamId?: string | null,
) => void;

const OPEN = new Set(['open', 'acknowledged']);

/** Who acknowledges a finding an ignore entry covers (and opens it again once none does). */
export const IGNORE_ENTRY_ACTOR = 'engops (ignore entry)';

/** Findings per service: uploads from scanners reconcile with what is stored; people triage them. */
export function createFindingsService(ctx: SecurityContext) {
  const { db, clock, audit, repo, catalog, policy } = ctx;
  const now = () => clock.now().toISOString();

  async function view(rows: FindingRow[]): Promise<SecurityFinding[]> {
    const sla = (await policy.current()).security.finding_sla_days;
    const names = new Map((await allServices(catalog)).map((s) => [s.id, s.name]));
    const at = clock.now();
    return rows.map((r) => {
      const due = findingDueAt(r.first_seen_at, r.severity as SecuritySeverity, sla);
      return {
        id: r.id,
        service_id: r.service_id,
        service_name: names.get(r.service_id) ?? r.service_id,
        team_id: r.team_id,
        kind: r.kind as SecurityFinding['kind'],
        fingerprint: r.fingerprint,
        rule: r.rule,
        title: r.title,
        severity: r.severity as SecuritySeverity,
        status: r.status as FindingStatus,
        status_reason: r.status_reason,
        status_changed_by: r.status_changed_by,
        status_changed_at: r.status_changed_at,
        file: r.file,
        line: r.line,
        package: r.package,
        version: r.version,
        ecosystem: r.ecosystem,
        fixed_version: r.fixed_version,
        dependency_path: JSON.parse(r.dependency_path) as string[],
        commit: r.commit_sha,
        author: r.author,
        url: r.url,
        first_seen_at: r.first_seen_at,
        last_seen_at: r.last_seen_at,
        fixed_at: r.fixed_at,
        due_at: due,
        overdue: isOverdue(r.status, due, at),
      };
    });
  }

  function details(f: UploadedFinding) {
    return {
      rule: f.rule,
      title: f.title,
      severity: f.severity,
      file: f.file,
      line: f.line ?? null,
      package: f.package ?? null,
      version: f.version ?? null,
      ecosystem: f.ecosystem ?? null,
      fixed_version: f.fixed_version ?? null,
      dependency_path: JSON.stringify(f.dependency_path ?? []),
      commit_sha: f.commit ?? null,
      author: f.author ?? null,
      url: f.url ?? null,
    };
  }

  async function setStatus(
    tx: Db,
    actx: AuditContext,
    row: FindingRow,
    status: FindingStatus,
    reason: string | null,
    extra: Partial<FindingRow> = {},
  ) {
    const at = now();
    const patch: Partial<FindingRow> = {
      status,
      status_reason: reason,
      status_changed_by: actx.principal.name,
      status_changed_at: at,
      fixed_at: status === 'fixed' ? at : null,
      updated_at: at,
      ...extra,
    };
    await repo.updateFinding(tx, row.id, patch);
    await audit.record(tx, actx, {
      action: 'security.finding.status',
      targetType: 'security_finding',
      targetId: row.id,
      teamId: row.team_id,
      before: { status: row.status, reason: row.status_reason },
      after: { status, reason },
    });
  }

  return {
    /** Records one scan of a service: new findings, reopened ones, and (complete scans) fixed ones. */
    async upload(actx: AuditContext, input: Upload, authorize: Authorize) {
      // Scanners in pipelines name the service as people do: by name or id.
      const service = await writableService(catalog, input.service_id, authorize);
      const unique = new Map<string, UploadedFinding>();
      for (const f of input.findings) unique.set(f.fingerprint, f);
      // Two scans of one service at once (a pipeline and a server rescan) may both insert the same
      // new finding: the loser's transaction is rolled back and run again against the winner's rows.
      for (let attempt = 1; ; attempt++) {
        try {
          return await record(unique);
        } catch (error) {
          if (attempt >= 3 || !isUniqueViolation(error)) throw error;
        }
      }

      function record(unique: Map<string, UploadedFinding>) {
        return db.transaction().execute(async (tx) => {
          const at = now();
          const existing = new Map(
            (await repo.findingsOf(tx, service.id, input.kind)).map((r) => [r.fingerprint, r]),
          );
          const counts = { created: 0, reopened: 0, unchanged: 0, fixed: 0, acknowledged: 0 };
          const ignored = new Map((input.ignored ?? []).map((i) => [i.fingerprint, i.reason]));
          const byIgnore = (row: FindingRow) =>
            row.status === 'acknowledged' && row.status_changed_by === IGNORE_ENTRY_ACTOR;
          const ignoreActx = { ...actx, principal: { ...actx.principal, name: IGNORE_ENTRY_ACTOR } };
          for (const f of unique.values()) {
            const row = existing.get(f.fingerprint);
            if (!row) {
              const id = newId('sf');
              await repo.insertFinding(tx, {
                id,
                service_id: service.id,
                team_id: service.team_id,
                kind: input.kind,
                fingerprint: f.fingerprint,
                ...details(f),
                status: 'open',
                status_reason: null,
                status_changed_by: null,
                status_changed_at: null,
                first_seen_at: at,
                last_seen_at: at,
                fixed_at: null,
                created_at: at,
                updated_at: at,
              });
              await audit.record(tx, actx, {
                action: 'security.finding.create',
                targetType: 'security_finding',
                targetId: id,
                teamId: service.team_id,
                after: {
                  status: 'open',
                  rule: f.rule,
                  severity: f.severity,
                  file: f.file,
                  package: f.package ?? null,
                },
              });
              counts.created++;
            } else if (row.status === 'fixed') {
              await setStatus(tx, actx, row, 'open', `seen again by ${input.tool}`, {
                ...details(f),
                last_seen_at: at,
              });
              counts.reopened++;
            } else if (byIgnore(row)) {
              // Reported again: no ignore entry covers it any more.
              await setStatus(tx, ignoreActx, row, 'open', 'Its ignore entry expired or was removed', {
                ...details(f),
                last_seen_at: at,
              });
              counts.reopened++;
            } else {
              await repo.updateFinding(tx, row.id, { ...details(f), last_seen_at: at, updated_at: at });
              counts.unchanged++;
            }
          }
          // Left out because an ignore entry covers them: set aside (acknowledged), not fixed.
          for (const [fingerprint, reason] of ignored) {
            const row = existing.get(fingerprint);
            if (row?.status !== 'open' || unique.has(fingerprint)) continue;
            await setStatus(tx, ignoreActx, row, 'acknowledged', reason);
            counts.acknowledged++;
          }
          if (input.complete) {
            for (const row of existing.values()) {
              if (!OPEN.has(row.status) || unique.has(row.fingerprint)) continue;
              // Set aside by an ignore entry: left out because ignored, not because fixed.
              if (ignored.has(row.fingerprint) || byIgnore(row)) continue;
              await setStatus(tx, actx, row, 'fixed', `no longer reported by ${input.tool}`);
              counts.fixed++;
            }
          }
          const scanId = newId('scan');
          await repo.insertScan(tx, {
            id: scanId,
            service_id: service.id,
            team_id: service.team_id,
            kind: input.kind,
            tool: input.tool,
            findings: unique.size,
            scanned_by: actx.principal.name,
            at,
          });
          const open = (await repo.findingsOf(tx, service.id, input.kind)).filter((r) =>
            OPEN.has(r.status),
          ).length;
          await audit.record(tx, actx, {
            action: 'security.scan.upload',
            targetType: 'service',
            targetId: service.id,
            teamId: service.team_id,
            after: { scan_id: scanId, kind: input.kind, tool: input.tool, ...counts, open },
          });
          return { scan_id: scanId, service_id: service.id, kind: input.kind, ...counts, open };
        });
      }
    },

    /**
     * Brings a service's dependency findings in line with its ignore entries: an open finding that
     * a live entry covers is acknowledged, with the entry's reason (`covered`: fingerprint -> why);
     * one acknowledged that way whose entry expired or was removed (`uncovered`: matched, covered
     * by nothing) is open again. Findings people triaged are left alone. Returns the counts.
     */
    async followIgnores(
      serviceId: string,
      covered: ReadonlyMap<string, string>,
      uncovered: ReadonlySet<string>,
    ): Promise<{ acknowledged: number; reopened: number }> {
      const counts = { acknowledged: 0, reopened: 0 };
      if (covered.size === 0 && uncovered.size === 0) return counts;
      const actx = { principal: { ...systemPrincipal, name: IGNORE_ENTRY_ACTOR } };
      await db.transaction().execute(async (tx) => {
        for (const row of await repo.findingsOf(tx, serviceId, 'dependency')) {
          const why = covered.get(row.fingerprint);
          if (row.status === 'open' && why !== undefined) {
            await setStatus(tx, actx, row, 'acknowledged', why.slice(0, 500));
            counts.acknowledged++;
          } else if (
            row.status === 'acknowledged' &&
            row.status_changed_by === IGNORE_ENTRY_ACTOR &&
            uncovered.has(row.fingerprint)
          ) {
            await setStatus(tx, actx, row, 'open', 'Its ignore entry expired or was removed');
            counts.reopened++;
          }
        }
      });
      return counts;
    },

    /**
     * Marks open findings fixed because a later scan showed the cause gone (a push scan saw the
     * lockfile upgrade the package past its fix): one audit entry each, whose reason is the history
     * note. Findings that were triaged away or fixed meanwhile are left alone. Returns how many.
     */
    async resolve(actx: AuditContext, resolutions: ReadonlyArray<{ id: string; reason: string }>) {
      if (resolutions.length === 0) return 0;
      return db.transaction().execute(async (tx) => {
        let n = 0;
        for (const { id, reason } of resolutions) {
          const row = await repo.getFinding(tx, id);
          if (!row || !OPEN.has(row.status)) continue;
          await setStatus(tx, actx, row, 'fixed', reason.slice(0, 500));
          n++;
        }
        return n;
      });
    },

    async list(
      query: {
        service_id?: string | undefined;
        team_id?: string | undefined;
        kind?: string | undefined;
        status?: string | undefined;
        severity?: string | undefined;
        limit: number;
        cursor?: string | undefined;
      },
      principal: Principal,
      authorize: Authorize,
    ): Promise<Page<SecurityFinding>> {
      let teamIds: string[] | undefined;
      if (query.service_id) authorize('security.read', (await catalog.getService(query.service_id)).team_id);
      else if (query.team_id) {
        await catalog.getTeam(query.team_id);
        authorize('security.read', query.team_id);
        teamIds = [query.team_id];
      } else
        teamIds = readableTeams(principal, 'security.read', [...principal.teamRoles.keys()]) ?? undefined;
      const rows = await repo.listFindings(db, {
        serviceId: query.service_id,
        teamIds,
        kind: query.kind,
        status: query.status,
        severity: query.severity,
        after: decodeCursor(query.cursor),
        limit: query.limit + 1,
      });
      const items = rows.slice(0, query.limit);
      return {
        items: await view(items),
        next_cursor: rows.length > query.limit && items.length > 0 ? encodeCursor(items.at(-1)!.id) : null,
      };
    },

    async get(id: string, authorize: Authorize) {
      const row = await repo.getFinding(db, id);
      if (!row) throw new AppError('SECURITY_FINDING_NOT_FOUND');
      authorize('security.read', row.team_id);
      const [finding] = await view([row]);
      const history = (await repo.findingHistory(db, id)).map((h) => {
        const before = h.before_json ? (JSON.parse(h.before_json) as { status?: string }) : null;
        const after = h.after_json
          ? (JSON.parse(h.after_json) as { status?: string; reason?: string | null })
          : null;
        return {
          at: h.at,
          actor: h.actor_name,
          action: h.action,
          from: before?.status ?? null,
          to: after?.status ?? null,
          reason: after?.reason ?? null,
        };
      });
      return { ...finding!, history };
    },

    async setStatus(
      actx: AuditContext,
      id: string,
      input: { status: FindingStatus; reason?: string | undefined },
      authorize: Authorize,
    ) {
      const row = await repo.getFinding(db, id);
      if (!row) throw new AppError('SECURITY_FINDING_NOT_FOUND');
      authorize('security.triage', row.team_id);
      await db.transaction().execute(async (tx) => {
        const current = (await repo.getFinding(tx, id))!;
        if (current.status === input.status && current.status_reason === (input.reason ?? null)) return;
        await setStatus(tx, actx, current, input.status, input.reason ?? null);
      });
      return this.get(id, authorize);
    },

    /** Open findings per service with severities and overdue counts, and the last scan of each kind. */
    async summary() {
      const sla = (await policy.current()).security.finding_sla_days;
      const at = clock.now();
      const byService = new Map<
        string,
        {
          open: Record<SecuritySeverity, number>;
          overdue: number;
          last: { dependency: string | null; secret: string | null };
        }
      >();
      const entry = (serviceId: string) => {
        let e = byService.get(serviceId);
        if (!e) {
          e = {
            open: { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 },
            overdue: 0,
            last: { dependency: null, secret: null },
          };
          byService.set(serviceId, e);
        }
        return e;
      };
      for (const r of await repo.openFindings(db)) {
        const e = entry(r.service_id);
        const severity = r.severity as SecuritySeverity;
        e.open[severity] = (e.open[severity] ?? 0) + 1;
        if (isOverdue(r.status, findingDueAt(r.first_seen_at, severity, sla), at)) e.overdue++;
      }
      for (const s of await repo.lastScans(db)) {
        const e = entry(s.service_id);
        if (s.kind === 'dependency' || s.kind === 'secret') e.last[s.kind] = String(s.at);
      }
      return byService;
    },
  };
}

export type FindingsService = ReturnType<typeof createFindingsService>;
