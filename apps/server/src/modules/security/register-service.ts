import { registerGrantSchema } from '@engops/contracts';
import type { AuditContext } from '../../platform/audit.ts';
import { AppError, type FieldError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { SecurityContext } from './security-deps.ts';

/** RFC 4180 CSV rows (quoted fields, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  return rows;
}

type Grant = {
  person: string;
  email?: string | undefined;
  access: string;
  last_used_at?: string | undefined;
};

/**
 * The access register: who holds which access in systems other than engops, imported per system
 * (JSON or CSV) with an owner team. Each import replaces the system's list: grants no longer
 * listed are marked gone. Access reviews include the live grants; a revoke marks the grant removed
 * here for the system's owners to carry out.
 */
export function createRegisterService(ctx: SecurityContext) {
  const { db, clock, audit, catalog } = ctx;

  function fromCsv(csv: string): Grant[] {
    const rows = parseCsv(csv);
    const header = (rows.shift() ?? []).map((h) => h.trim().toLowerCase());
    const col = (name: string) => header.indexOf(name);
    const errors: FieldError[] = [];
    if (col('person') < 0 || col('access') < 0)
      throw new AppError(
        'HTTP_VALIDATION_FAILED',
        'The CSV needs a header row with person and access columns.',
        {
          errors: [
            {
              path: 'body.csv',
              message: 'header must name person and access (and optionally email, last_used_at)',
            },
          ],
        },
      );
    const grants: Grant[] = [];
    rows.forEach((r, i) => {
      const cell = (name: string) => (col(name) >= 0 ? (r[col(name)] ?? '').trim() : '');
      const parsed = registerGrantSchema.safeParse({
        person: cell('person'),
        access: cell('access'),
        ...(cell('email') ? { email: cell('email') } : {}),
        ...(cell('last_used_at') ? { last_used_at: cell('last_used_at') } : {}),
      });
      if (parsed.success) grants.push(parsed.data);
      else
        for (const issue of parsed.error.issues)
          errors.push({ path: `body.csv.line${i + 2}.${issue.path.join('.')}`, message: issue.message });
    });
    if (errors.length > 0)
      throw new AppError('HTTP_VALIDATION_FAILED', 'Some CSV rows are not valid.', { errors });
    return grants;
  }

  return {
    async importSystem(
      actx: AuditContext,
      input: {
        system: string;
        owner_team_id?: string | undefined;
        grants?: Grant[] | undefined;
        csv?: string | undefined;
      },
    ) {
      if (input.owner_team_id && !(await catalog.findTeam(input.owner_team_id)))
        throw new AppError('CATALOG_TEAM_NOT_FOUND', `No team ${input.owner_team_id}.`);
      const grants = input.grants ?? fromCsv(input.csv ?? '');
      const key = (g: { person: string; access: string }) => `${g.person.toLowerCase()}\u0000${g.access}`;
      const incoming = new Map(grants.map((g) => [key(g), g]));
      return db.transaction().execute(async (tx) => {
        const at = clock.now().toISOString();
        const live = await tx
          .selectFrom('access_register')
          .selectAll()
          .where('system', '=', input.system)
          .where('removed_at', 'is', null)
          .execute();
        const counts = { added: 0, kept: 0, gone: 0 };
        const seen = new Set<string>();
        for (const row of live) {
          const g = incoming.get(key(row));
          if (g) {
            seen.add(key(row));
            await tx
              .updateTable('access_register')
              .set({
                owner_team_id: input.owner_team_id ?? null,
                email: g.email ?? null,
                last_used_at: g.last_used_at ? new Date(g.last_used_at).toISOString() : null,
                imported_at: at,
              })
              .where('id', '=', row.id)
              .execute();
            counts.kept++;
          } else {
            await tx
              .updateTable('access_register')
              .set({
                removed_at: at,
                removed_by: actx.principal.name,
                removal_note: 'no longer in the import',
              })
              .where('id', '=', row.id)
              .execute();
            counts.gone++;
          }
        }
        for (const [k, g] of incoming) {
          if (seen.has(k)) continue;
          await tx
            .insertInto('access_register')
            .values({
              id: newId('acg'),
              system: input.system,
              owner_team_id: input.owner_team_id ?? null,
              person: g.person,
              email: g.email ?? null,
              access: g.access,
              last_used_at: g.last_used_at ? new Date(g.last_used_at).toISOString() : null,
              imported_at: at,
              removed_at: null,
              removed_by: null,
              removal_note: null,
            })
            .execute();
          counts.added++;
        }
        await audit.record(tx, actx, {
          action: 'security.access_register.import',
          targetType: 'access_register',
          targetId: input.system,
          teamId: input.owner_team_id ?? null,
          after: counts,
        });
        return { system: input.system, ...counts };
      });
    },

    list: (system?: string) => {
      let q = db.selectFrom('access_register').selectAll();
      if (system) q = q.where('system', '=', system);
      return q.orderBy('system').orderBy('person').orderBy('id').execute();
    },
  };
}

export type RegisterService = ReturnType<typeof createRegisterService>;
