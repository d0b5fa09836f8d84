import type { Compilable, CompiledQuery, Insertable } from 'kysely';
import type { Db } from './database.ts';
import type { Database } from './schema.ts';

const SENTINEL = '\u0000engops-param:';

/** Stands in for the argument at `index` while a prepared query is built (any column type). */
export type Param = (index: number) => never;

/**
 * A query built and compiled by Kysely once, then run with new arguments: the hot statements of
 * alert ingestion skip query building and compiling (most of Kysely's cost per query) on both
 * engines. `build` receives `param(i)` placeholders for the arguments; constants it uses stay as
 * they were compiled. On SQLite the driver also reuses the prepared statement (same SQL text).
 */
export function prepareQuery<R>(build: (db: Db, param: Param) => Compilable<R>, arity: number) {
  let compiled: CompiledQuery<R> | undefined;
  let slots: Array<number | { value: unknown }> = [];

  function compile(db: Db): CompiledQuery<R> {
    const query = build(db, ((index: number) => `${SENTINEL}${index}`) as Param).compile();
    slots = query.parameters.map((value) =>
      typeof value === 'string' && value.startsWith(SENTINEL)
        ? Number(value.slice(SENTINEL.length))
        : { value },
    );
    for (let i = 0; i < arity; i++) {
      if (!slots.includes(i))
        throw new Error(`prepareQuery: argument ${i} is not a parameter of ${query.sql}`);
    }
    compiled = query;
    return query;
  }

  return async (db: Db, args: readonly unknown[]): Promise<R[]> => {
    const query = compiled ?? compile(db);
    const parameters = slots.map((slot) => (typeof slot === 'number' ? args[slot] : slot.value));
    const result = await db.executeQuery<R>({ ...query, parameters });
    return result.rows;
  };
}

/**
 * A multi-row INSERT into `table`, compiled once per row count and column set: inserting n rows
 * costs one statement and no query building. Every row must have the same keys.
 */
export function prepareInsert<T extends keyof Database & string>(table: T) {
  const byShape = new Map<string, ReturnType<typeof prepareQuery<unknown>>>();
  return async (db: Db, rows: ReadonlyArray<Insertable<Database[T]>>): Promise<void> => {
    const first = rows[0];
    if (!first) return;
    const columns = Object.keys(first);
    const shape = `${rows.length}|${columns.join(',')}`;
    let insert = byShape.get(shape);
    if (!insert) {
      const n = rows.length;
      insert = prepareQuery(
        (qb, param) =>
          qb
            .insertInto(table)
            .values(
              Array.from({ length: n }, (_, r) =>
                Object.fromEntries(columns.map((c, j) => [c, param(r * columns.length + j)])),
              ) as never,
            ),
        n * columns.length,
      );
      if (byShape.size >= 500) byShape.clear();
      byShape.set(shape, insert);
    }
    const args: unknown[] = [];
    for (const row of rows) {
      const values = row as Record<string, unknown>;
      for (const c of columns) args.push(values[c] ?? null);
    }
    await insert(db, args);
  };
}
