import type { UploadedFinding, uploadInventorySchema } from '@engops/contracts';
import type { z } from 'zod';
import { systemPrincipal } from '../../platform/access/permissions.ts';
import type { AuditContext } from '../../platform/audit.ts';
import { AppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import {
  ignoreCoverage,
  inventoryRow,
  matchStoredInventory,
  notIgnored,
  storedIgnores,
  storeIgnores,
  toUploadedDependency,
} from './dependency-inventory.ts';
import {
  AdvisoryFormatError,
  ecosystemOf,
  normalizeName,
  type OsvAdvisory,
  parseAdvisory,
} from './deps/osv.ts';
import type { FindingsService } from './findings-service.ts';
import { type SecurityContext, writableService } from './security-deps.ts';

export const RESCAN_JOB = 'security.rescan';
export const DAILY_RESCAN_JOB = 'security.rescan.daily';
const DAY_MS = 24 * 3600 * 1000;

type Inventory = z.output<typeof uploadInventorySchema>;

/**
 * The server's side of dependency scanning: OSV advisories imported into the database, each
 * service's dependency inventory (sent by `engops scan deps --upload`), and rescans that match the
 * two whenever advisories arrive and once a day, so a new advisory reaches services that did not
 * change. Rescans add and reopen findings; only a scan of the code marks them fixed.
 */
export function createAdvisoriesService(ctx: SecurityContext, findings: FindingsService) {
  const { db, clock, audit, jobs, catalog } = ctx;
  const now = () => clock.now().toISOString();

  /** Matches each service's stored inventory against the advisories; returns what matched, per service. */
  async function rescan(serviceIds?: string[]): Promise<Map<string, UploadedFinding[]>> {
    let ids = serviceIds;
    if (!ids) {
      const rows = await db.selectFrom('security_dependencies').select('service_id').distinct().execute();
      ids = rows.map((r) => r.service_id);
    }
    const matchedBy = new Map<string, UploadedFinding[]>();
    for (const serviceId of ids) {
      const service = await catalog.findService(serviceId);
      if (!service) continue;
      // What the service's last scan ignored (.engops-deps-ignore.json) stays ignored here; an
      // entry that expired since no longer covers its findings (they open again).
      const all = await matchStoredInventory(db, service.id);
      const ignores = await storedIgnores(db, service.id);
      const matched = notIgnored(all, ignores, clock.now());
      const { covered, uncovered } = ignoreCoverage(all, ignores, clock.now());
      await findings.followIgnores(service.id, covered, uncovered);
      const uploaded = matched.map(toUploadedDependency);
      // complete: false, so an empty list would change nothing.
      if (uploaded.length > 0)
        await findings.upload(
          { principal: systemPrincipal },
          {
            service_id: service.id,
            kind: 'dependency',
            tool: 'engops-server',
            complete: false,
            findings: uploaded,
          },
          () => {},
        );
      matchedBy.set(service.id, uploaded);
    }
    return matchedBy;
  }

  const nextDaily = (from: Date) => {
    const next = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate(), 3, 0, 0));
    return next.getTime() <= from.getTime() ? new Date(next.getTime() + DAY_MS) : next;
  };
  async function scheduleDaily(from: Date) {
    const at = nextDaily(from);
    await jobs.enqueue(db, {
      kind: DAILY_RESCAN_JOB,
      runAt: at,
      dedupeKey: `security:rescan:daily:${at.toISOString().slice(0, 10)}`,
    });
  }

  ctx.worker?.register(RESCAN_JOB, async (job) => {
    const payload = (job.payload ?? {}) as { service_ids?: string[] };
    await rescan(payload.service_ids);
  });
  ctx.worker?.register(DAILY_RESCAN_JOB, async () => {
    // Tomorrow's run is queued first, so a failing rescan (retried by the queue) never ends the series.
    await scheduleDaily(new Date(clock.now().getTime() + 60_000));
    await rescan();
  });

  return {
    rescan,
    /** Puts the next daily rescan in the job queue (idempotent). */
    start: () => scheduleDaily(clock.now()),

    async importAdvisories(actx: AuditContext, raw: unknown[]) {
      const parsed: OsvAdvisory[] = [];
      const errors: Array<{ path: string; message: string }> = [];
      raw.forEach((value, i) => {
        try {
          parsed.push(parseAdvisory(value, `advisories.${i}`));
        } catch (error) {
          if (!(error instanceof AdvisoryFormatError)) throw error;
          errors.push({ path: `body.advisories.${i}`, message: error.message });
        }
      });
      if (errors.length > 0)
        throw new AppError('HTTP_VALIDATION_FAILED', 'Some records are not OSV advisories.', { errors });
      const counts = { imported: 0, updated: 0, unchanged: 0 };
      await db.transaction().execute(async (tx) => {
        const at = now();
        for (const advisory of parsed) {
          const modified = advisory.modified ?? advisory.published ?? at;
          const existing = await tx
            .selectFrom('security_advisories')
            .select(['modified'])
            .where('id', '=', advisory.id)
            .executeTakeFirst();
          if (existing && existing.modified === modified) {
            counts.unchanged++;
            continue;
          }
          const row = { id: advisory.id, modified, record: JSON.stringify(advisory), imported_at: at };
          if (existing) {
            await tx.updateTable('security_advisories').set(row).where('id', '=', advisory.id).execute();
            await tx
              .deleteFrom('security_advisory_packages')
              .where('advisory_id', '=', advisory.id)
              .execute();
            counts.updated++;
          } else {
            await tx.insertInto('security_advisories').values(row).execute();
            counts.imported++;
          }
          const keys = new Map<string, { ecosystem: string; name: string }>();
          for (const affected of advisory.affected ?? []) {
            const ecosystem = ecosystemOf(affected.package?.ecosystem);
            if (!ecosystem || !affected.package) continue;
            const name = normalizeName(ecosystem, affected.package.name);
            keys.set(`${ecosystem}\u0000${name}`, { ecosystem, name });
          }
          for (const key of keys.values())
            await tx
              .insertInto('security_advisory_packages')
              .values({ advisory_id: advisory.id, ...key })
              .execute();
        }
        await audit.record(tx, actx, {
          action: 'security.advisories.import',
          targetType: 'security_advisories',
          targetId: null,
          after: counts,
        });
        if (counts.imported + counts.updated > 0) await jobs.enqueue(tx, { kind: RESCAN_JOB, payload: {} });
      });
      const total = await db
        .selectFrom('security_advisories')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return { ...counts, total: Number(total.n) };
    },

    async uploadInventory(
      actx: AuditContext,
      input: Inventory,
      authorize: (permission: 'security.write', teamId?: string | null) => void,
    ) {
      const service = await writableService(catalog, input.service_id, authorize);
      await db.transaction().execute(async (tx) => {
        const at = now();
        await tx.deleteFrom('security_dependencies').where('service_id', '=', service.id).execute();
        const rows = input.dependencies.map((d) => inventoryRow(service, d, newId('sd'), at));
        // The ignore entries the CLI applied, for the rescans (absent: the stored ones stay).
        if (input.ignores) await storeIgnores(tx, service.id, input.ignores, 'upload', at);
        for (let i = 0; i < rows.length; i += 200)
          await tx
            .insertInto('security_dependencies')
            .values(rows.slice(i, i + 200))
            .execute();
        await audit.record(tx, actx, {
          action: 'security.inventory.upload',
          targetType: 'service',
          targetId: service.id,
          teamId: service.team_id,
          after: { dependencies: rows.length, ...(input.ignores ? { ignores: input.ignores.length } : {}) },
        });
      });
      return { service_id: service.id, dependencies: input.dependencies.length };
    },
  };
}

export type AdvisoriesService = ReturnType<typeof createAdvisoriesService>;
