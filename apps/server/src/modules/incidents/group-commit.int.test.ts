import fs from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, ENGINES, type TestDatabase } from '../../../../../test-support/engines.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { createGroupCommit } from './group-commit.ts';

const counter = (name: string) => ({ name, value: 0 });

for (const engine of ENGINES) {
  describe(`group commit [${engine}]`, () => {
    let database: TestDatabase;

    beforeAll(async () => {
      database = await createTestDatabase(engine);
      await migrateToLatest(database.handle.db);
    });
    afterAll(async () => {
      await database.handle.close();
      await database.drop();
    });

    const values = async (prefix: string) =>
      (
        await database.handle.db
          .selectFrom('counters')
          .select(['name', 'value'])
          .where('name', 'like', `${prefix}%`)
          .orderBy('name')
          .execute()
      ).map((r) => `${r.name}=${r.value}`);

    it('commits work submitted together in one transaction and answers each caller after it', async () => {
      const db = database.handle.db;
      let transactions = 0;
      const commit = createGroupCommit<string[]>(db, {
        state: () => {
          transactions++;
          return [];
        },
        beforeCommit: async (tx, names) => {
          await tx.updateTable('counters').set({ value: names.length }).where('name', 'in', names).execute();
        },
      });
      const names = Array.from({ length: 40 }, (_, i) => `batch-${String(i).padStart(2, '0')}`);
      const results = await Promise.all(
        names.map((name) =>
          commit.submit(async (tx, state) => {
            await tx.insertInto('counters').values(counter(name)).execute();
            state.push(name);
            return name.toUpperCase();
          }),
        ),
      );
      expect(results).toEqual(names.map((n) => n.toUpperCase()));
      expect(transactions).toBe(1);
      // beforeCommit saw all 40 items of the one transaction.
      expect(await values('batch-')).toEqual(names.map((n) => `${n}=40`));
      if (engine === 'sqlite') {
        // The batch committed at synchronous = NORMAL (its WAL fsync off the main thread); the
        // connection is back at FULL for everything else.
        const level = await sql<{ synchronous: number }>`pragma synchronous`.execute(db);
        expect(Number(level.rows[0]!.synchronous)).toBe(2);
      }
    });

    it('runs every item of a failed batch again alone, so one bad item fails only its own caller', async () => {
      const db = database.handle.db;
      let transactions = 0;
      const commit = createGroupCommit<undefined>(db, {
        state: () => {
          transactions++;
          return undefined;
        },
      });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          commit.submit(async (tx) => {
            await tx
              .insertInto('counters')
              .values(counter(`alone-${i}`))
              .execute();
            if (i === 3) throw new Error('item 3 is bad');
            return i;
          }),
        ),
      );
      expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).toEqual(
        [0, 1, 2, 'item 3 is bad', 4, 5],
      );
      // The shared one (rolled back), then one transaction per item.
      expect(transactions).toBe(7);
      expect(await values('alone-')).toEqual([
        'alone-0=0',
        'alone-1=0',
        'alone-2=0',
        'alone-4=0',
        'alone-5=0',
      ]);
      if (engine === 'sqlite') {
        const level = await sql<{ synchronous: number }>`pragma synchronous`.execute(db);
        expect(Number(level.rows[0]!.synchronous)).toBe(2);
      }
    });

    if (engine === 'sqlite') {
      it('moves checkpoints to a worker thread once the WAL is large, and closes cleanly', async () => {
        const other = await createTestDatabase('sqlite');
        const db = other.handle.db;
        const file = (await sql<{ name: string; file: string }>`pragma database_list`.execute(db)).rows.find(
          (r) => r.name === 'main',
        )!.file;
        try {
          await migrateToLatest(db);
          const level = async () =>
            Number(
              (await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db)).rows[0]!
                .wal_autocheckpoint,
            );
          expect(await level()).toBe(1000);
          // About 6 MB of WAL in 24 transactions.
          const filler = 'x'.repeat(2000);
          for (let t = 0; t < 24; t++) {
            await db.transaction().execute(async (tx) => {
              for (let i = 0; i < 120; i++)
                await tx
                  .insertInto('counters')
                  .values({ name: `fill-${t}-${i}-${filler}`, value: i })
                  .execute();
            });
          }
          expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(1000 * 4096);
          // The size is looked at once a second; wait (bounded) for the worker to take over.
          for (let i = 0; i < 300 && (await level()) === 1000; i++)
            await new Promise((r) => setTimeout(r, 100));
          expect(await level()).toBe(10_000);
          const stored = await db
            .selectFrom('counters')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('name', 'like', 'fill-%')
            .executeTakeFirstOrThrow();
          expect(Number(stored.n)).toBe(24 * 120);
        } finally {
          await other.handle.close();
        }
        // The main connection closed last: it checkpointed everything and removed the WAL.
        expect(fs.existsSync(`${file}-wal`)).toBe(false);
        await other.drop();
      });
    }
  });
}
