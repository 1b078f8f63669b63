/**
 * The socket.io adapter: in memory on PGlite (one process), `@socket.io/postgres-adapter` on
 * PostgreSQL, so that an emit on any process reaches the sockets of every process through
 * LISTEN/NOTIFY on the database they already share.
 */
import { createAdapter } from '@socket.io/postgres-adapter';
import type pg from 'pg';
import type { Database } from '../db/index.ts';
import type { Logger } from '../logger.ts';
import type { ChatServer } from './hub.ts';

export interface ClusterLink {
  /** True when other processes may share the database (the postgres adapter is in use). */
  clustered: boolean;
  /** Call before `io.close()`: the adapter takes no new connection from then on. */
  close(): void;
}

/**
 * Installs the adapter and resolves once this process LISTENs, so that a message another process
 * sends just after our start is not missed. The adapter's LISTEN client is a pool client; it goes
 * back with `io.close()`, which must therefore run before the pool ends.
 */
export async function installAdapter(io: ChatServer, database: Database, logger: Logger): Promise<ClusterLink> {
  if (database.kind !== 'postgres' || !database.pool) return { clustered: false, close: () => {} };
  const pool = database.pool;
  let listening: Promise<pg.PoolClient> | undefined;
  let closed = false;
  let published: Promise<unknown> = Promise.resolve();
  const notifies = new NotifyQueue((sql, values) => {
    const run = published.then(() => pool.query(sql, values));
    published = run.catch(() => {});
    return run;
  });
  const watched = new Proxy(pool, {
    get(target, prop) {
      // The adapter takes its LISTEN client with pool.connect(): seeing that call is the only way
      // to know when it listens (it answers nothing), and to wait for it.
      // A checked-out client has no 'error' listener of the pool's: without ours, a database
      // restart (or a dropped database) would crash the process instead of making the adapter
      // reconnect (it does so on 'end', but never gives the dead client back, and pool.end()
      // would wait for it forever: we give it back). After close, no new LISTEN client: the
      // adapter's reconnection loop would otherwise keep the process alive.
      if (prop === 'connect') {
        return () =>
          (listening = closed
            ? new Promise<pg.PoolClient>(() => {})
            : target.connect().then((client) => {
                if (closed) {
                  client.release(true);
                  return new Promise<pg.PoolClient>(() => {});
                }
                const release = client.release.bind(client);
                let released = false;
                client.release = (err?: Error | boolean) => {
                  if (released) return;
                  released = true;
                  release(err);
                };
                client.on('error', (err) => logger.warn({ err }, 'socket.io adapter lost its LISTEN connection'));
                client.on('end', () => client.release(true));
                return client;
              }));
      }
      // Each publish is a pg_notify on whichever pool client is free; two of them in flight at
      // once may commit, hence reach the other processes, in either order. One at a time keeps
      // a group's messages in the order they were broadcast here; the notifies that wait
      // meanwhile go together in one statement (its notifications are delivered in order), so
      // that a busy process makes fewer round trips instead of a longer queue.
      if (prop === 'query') {
        return (text: unknown, values?: unknown) => {
          if (text === NOTIFY_SQL && Array.isArray(values) && values.length === 2) return notifies.add(values[0], values[1]);
          const run = published.then(() => (target.query as (...a: unknown[]) => Promise<unknown>)(text, values));
          published = run.catch(() => {});
          return run;
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  io.adapter(
    createAdapter(watched, {
      errorHandler: (err: Error) => logger.warn({ err }, 'socket.io postgres adapter'),
      // A killed process stops answering fetchSockets(); forget it quickly.
      heartbeatInterval: 2_000,
      heartbeatTimeout: 6_000,
    }),
  );
  if (listening) {
    const client = await listening;
    // Queued after the adapter's LISTEN queries on the same connection: answers once they ran.
    await client.query('select 1');
  }
  return {
    clustered: true,
    close: () => {
      closed = true;
    },
  };
}

/** The statement the postgres adapter publishes with. */
const NOTIFY_SQL = 'SELECT pg_notify($1, $2)';
/** Most notifications one statement carries. */
const MAX_NOTIFIES = 64;

/**
 * The adapter's pg_notify calls, one statement at a time: those that come while one is running
 * leave together in the next, in the order they came.
 */
export class NotifyQueue {
  private waiting: { channel: unknown; payload: unknown; resolve: (r: unknown) => void; reject: (err: unknown) => void }[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly run: (sql: string, values: unknown[]) => Promise<unknown>) {}

  add(channel: unknown, payload: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ channel, payload, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.running || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0, MAX_NOTIFIES);
    const sql = `SELECT ${batch.map((_, i) => `pg_notify($${2 * i + 1}, $${2 * i + 2})`).join(', ')}`;
    this.running = this.run(
      sql,
      batch.flatMap((n) => [n.channel, n.payload]),
    ).then(
      (result) => batch.forEach((n) => n.resolve(result)),
      (err: unknown) => batch.forEach((n) => n.reject(err)),
    );
    void this.running.finally(() => {
      this.running = null;
      this.pump();
    });
  }
}
