/**
 * Opens the database: embedded PGlite (real Postgres in WASM) by default, or a PostgreSQL server
 * through node-postgres. The same schema and migrations serve both.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import * as schema from './schema.ts';

export { schema };
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction or the database itself: services accept either. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0] | Db;

export type DatabaseOptions = { kind: 'pglite'; dataDir: string | null } | { kind: 'postgres'; url: string };

export interface Database {
  kind: 'pglite' | 'postgres';
  db: Db;
  /** Answers true while the database takes queries (for /healthz). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
  /** The node-postgres pool, when on PostgreSQL (for the socket.io adapter). */
  pool?: pg.Pool;
}

/** PostgreSQL's type oid of bytea. */
const BYTEA_OID = 17;

const migrationsFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.kind === 'pglite') {
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
    const client = new PGlite(options.dataDir ?? 'memory://', {
      // PGlite's own bytea parser and serializer walk the hex text a byte at a time in JavaScript
      // (a few MB/s): attachments go in and out in 256 KiB chunks, so that was most of the cost of
      // an upload, a download or an export.
      parsers: { [BYTEA_OID]: (hex: string) => Buffer.from(hex.slice(2), 'hex') },
      serializers: { [BYTEA_OID]: (bytes: Uint8Array) => `\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}` },
    });
    await client.waitReady;
    const db = drizzlePglite(client, { schema });
    try {
      await migratePglite(db, { migrationsFolder });
    } catch (err) {
      await client.close();
      throw err;
    }
    let closed = false;
    return {
      kind: 'pglite',
      db: db as unknown as Db,
      ping: async () => {
        if (closed) return false;
        try {
          await client.query('select 1');
          return true;
        } catch {
          return false;
        }
      },
      close: async () => {
        if (closed) return;
        closed = true;
        await client.close();
      },
    };
  }
  const pool = new pg.Pool({ connectionString: options.url, max: 20, connectionTimeoutMillis: 5_000 });
  // An idle client that loses its server emits 'error' on the pool; without a listener the process dies.
  pool.on('error', () => {});
  const db = drizzlePg(pool, { schema });
  try {
    await migrateLocked(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  let closed = false;
  return {
    kind: 'postgres',
    db: db as unknown as Db,
    pool,
    ping: async () => {
      if (closed) return false;
      try {
        await db.execute(sql`select 1`);
        return true;
      } catch {
        return false;
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** Any constant works: it only has to be the same in every ChatPro process ("chatpro:migrate"). */
const MIGRATION_LOCK = 0x63686174_7072;

/**
 * Applies the migrations holding a session-level advisory lock on one client, so that several
 * processes starting together on one database take turns instead of racing on the DDL (the loser
 * then finds every migration applied and does nothing).
 */
async function migrateLocked(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await migratePg(drizzlePg(client, { schema }), { migrationsFolder });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {
        broken = true;
      });
    }
  } catch (err) {
    broken = true;
    throw err;
  } finally {
    // A client whose unlock failed may still hold the lock: destroy it rather than pool it.
    client.release(broken);
  }
}
