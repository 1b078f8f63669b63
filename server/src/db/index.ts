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
  /** Answers true while the database takes queries (for /healthz); false after `timeoutMs` without an answer. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
  /** The node-postgres pool, when on PostgreSQL (for the socket.io adapter). */
  pool?: pg.Pool;
  /** The PGlite instance, when embedded (for statements prepared through its wire protocol). */
  pglite?: PGlite;
}

/** PostgreSQL's type oid of bytea. */
const BYTEA_OID = 17;

/** How long /healthz waits for the database before saying it is down. */
export const PING_TIMEOUT_MS = 2_000;

/** Answers `check()`, or false once `ms` passed (a stopped or unreachable database). */
async function within(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([check().catch(() => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Is this error the database being out of reach (stopped, restarting, unreachable), rather than a
 * bad query? Such errors become 503 `database_unavailable`. Drizzle wraps the driver's error in
 * `cause`: the whole chain is looked at.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    // Socket errors of node; SQLSTATE 08 (connection exception), 57P01-57P03 (admin shutdown,
    // crash shutdown, cannot connect now), 53300 (too many connections).
    if (/^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/.test(code)) return true;
    if (/^(08...|57P0[123]|53300)$/.test(code)) return true;
    const message = typeof e.message === 'string' ? e.message : '';
    if (/^Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable/.test(message)) return true;
  }
  return false;
}

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
      pglite: client,
      ping: async (timeoutMs = PING_TIMEOUT_MS) => {
        if (closed) return false;
        return within(timeoutMs, async () => {
          await client.query('select 1');
          return true;
        });
      },
      close: async () => {
        if (closed) return;
        closed = true;
        await client.close();
      },
    };
  }
  // A connection attempt (or a wait for a free client) gives up after 5 s, so that a request made
  // while the database is down gets its error instead of hanging; keepAlive notices a dead peer.
  const pool = new pg.Pool({ connectionString: options.url, max: 20, connectionTimeoutMillis: 5_000, keepAlive: true });
  // An idle client that loses its server emits 'error' on the pool; without a listener the process dies.
  pool.on('error', () => {});
  // So does a checked-out one (a transaction, the adapter's LISTEN client) when the database stops:
  // the pool's own listener is off while a client is out. The query in flight gets the error; the
  // client is then not queryable and the pool drops it when it comes back.
  pool.on('connect', (client) => client.on('error', () => {}));
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
    ping: async (timeoutMs = PING_TIMEOUT_MS) => {
      if (closed) return false;
      return within(timeoutMs, async () => {
        await db.execute(sql`select 1`);
        return true;
      });
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
