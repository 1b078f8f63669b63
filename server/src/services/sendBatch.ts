/**
 * Group commit of text messages: the sends that arrive in one tick (any socket, any group) are
 * stored by one statement, with their notifications, hence one round trip and one transaction.
 * Each group's last_seq grows by its count (groups locked in id order, so that batches of several
 * processes never deadlock), and its messages take consecutive seqs in arrival order. A message is answered
 * only after its batch committed; a batch that fails answers each of its senders with the error
 * and leaves nothing of itself behind (one statement: all or nothing).
 *
 * What the batch statement does not insert (a client id already stored, a merged group) goes
 * through the one-message path, which says which: the stored message, or the conflict. A client
 * id sent twice within one batch is stored once and both senders get that message. A batch
 * that loses a race on the client-id index (the same id sent through another process at the
 * same moment), or that holds a text PostgreSQL refuses, is replayed one message at a time, in
 * order, each answering as it would alone. At most `maxBatch` messages a statement and
 * `maxInFlight` statements at once: what comes meanwhile waits and makes the next batch bigger.
 * Each group belongs to one lane (of `maxInFlight`, by its id), and a lane runs one statement at
 * a time: two statements of this process never wait for each other's lock on a group, and a
 * group's messages are stored in the order they came.
 */
import type { messages as wire, PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import type pg from 'pg';
import { serialize } from 'pg-protocol';
import type { Database, Db } from '../db/index.ts';
import { AppError } from '../http/errors.ts';
import { presentMessage, type GroupRow } from '../presenters/chat.ts';
import { authorDto, storeMessage, type Author, type StoredMessage } from './chat.ts';
import { insertNotificationsSql, notifiedJsonSql, presentMessageNotifications, type NotifiedRow } from './notifications.ts';

export interface TextSend {
  group: Pick<GroupRow, 'id' | 'contextId'>;
  author: Author;
  clientId: string;
  /** Already trimmed. */
  body: string;
}

interface Pending extends TextSend {
  resolve: (stored: StoredMessage) => void;
  reject: (err: unknown) => void;
}

/** The lane of a group: from the last eight hex digits of its id (random in a v4 UUID). */
const laneOf = (groupId: string, lanes: number) => (lanes === 1 ? 0 : (Number.parseInt(groupId.slice(-8), 16) || 0) % lanes);

/**
 * Errors that a replay one message at a time resolves: a lost race on the client-id index, a
 * deadlock or serialization failure, and a data exception (class 22: one message's text that
 * PostgreSQL refuses, such as a NUL, must fail alone, not take its batch down with it).
 */
const replayable = (code: string) => code === '23505' || code === '40P01' || code === '40001' || code.startsWith('22');
/** A lone surrogate becomes U+FFFD, as UTF-8 encoding does (JSON would pass it on escaped, and PostgreSQL refuse it). */
const wellFormed = (text: string) => text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
const codeOf = (err: unknown): string | undefined => (err as { code?: string })?.code ?? (err as { cause?: { code?: string } })?.cause?.code;

export interface BatcherOptions {
  /** Most messages one statement stores. */
  maxBatch?: number;
  /** Most batches in flight at once (more sends wait for one to finish, and make the next one bigger). */
  maxInFlight?: number;
  /** Runs a batch's statement on its JSON input (default: through drizzle; `poolExecutor` on PostgreSQL, `pgliteExecutor` on PGlite). */
  execute?: (db: Db, json: string) => Promise<InsertedRow[]>;
}

export class SendBatcher {
  /** Per lane, the sends waiting, and whether its statement is running. */
  private readonly lanes: { queue: Pending[]; busy: boolean }[];
  private scheduled = false;
  private readonly idle = new Set<() => void>();
  private readonly maxBatch: number;
  /** Runs a batch's statement on its JSON input (replaceable, so that a test can make a commit fail or wait). */
  execute: (db: Db, json: string) => Promise<InsertedRow[]>;
  /** Figures for the benchmark: batches run and messages they carried. */
  readonly stats = { batches: 0, messages: 0, replayed: 0, retried: {} as Record<string, number>, statementMs: 0, maxStatementMs: 0 };

  constructor(
    private readonly db: Db,
    options: BatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 256;
    this.lanes = Array.from({ length: Math.max(1, options.maxInFlight ?? 2) }, () => ({ queue: [], busy: false }));
    this.execute = options.execute ?? executeBatch;
  }

  /** Stores a text message with the others of this tick; resolves once its batch committed. */
  store(send: TextSend): Promise<StoredMessage> {
    return new Promise<StoredMessage>((resolve, reject) => {
      // As the driver would send it alone: a lone surrogate becomes U+FFFD (JSON would keep it escaped).
      this.lanes[laneOf(send.group.id, this.lanes.length)]!.queue.push({ ...send, body: wellFormed(send.body), resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when nothing is queued or in flight. */
  async drain(): Promise<void> {
    while (!this.quiet()) await new Promise<void>((r) => this.idle.add(r));
  }

  /** Nothing queued and nothing in flight. */
  private quiet(): boolean {
    return this.lanes.every((lane) => !lane.busy && lane.queue.length === 0);
  }

  private schedule(): void {
    if (this.scheduled || !this.lanes.some((lane) => !lane.busy && lane.queue.length > 0)) return;
    this.scheduled = true;
    // After the I/O callbacks of this loop turn: every send that arrived with them joins.
    setImmediate(() => {
      this.scheduled = false;
      for (const lane of this.lanes) {
        if (lane.busy || lane.queue.length === 0) continue;
        const batch = lane.queue.splice(0, this.maxBatch);
        lane.busy = true;
        void this.run(batch).finally(() => {
          lane.busy = false;
          this.schedule();
          if (this.quiet()) {
            for (const r of this.idle) r();
            this.idle.clear();
          }
        });
      }
    });
  }

  private async run(batch: Pending[]): Promise<void> {
    // One row per (group, client id): a repeat within the batch answers what the first one gets.
    const firsts = new Map<string, Pending>();
    const repeats: { of: Pending; p: Pending }[] = [];
    for (const p of batch) {
      const key = `${p.group.id}\u0000${p.clientId}`;
      const first = firsts.get(key);
      if (first) repeats.push({ of: first, p });
      else firsts.set(key, p);
    }
    const unique = [...firsts.values()];
    const outcome = new Map<Pending, { ok: StoredMessage } | { err: unknown }>();
    try {
      let rows: InsertedRow[];
      try {
        const t0 = performance.now();
        rows = await this.insert(unique);
        const ms = performance.now() - t0;
        this.stats.statementMs += ms;
        this.stats.maxStatementMs = Math.max(this.stats.maxStatementMs, ms);
        this.stats.batches++;
        this.stats.messages += rows.length;
      } catch (err) {
        const code = codeOf(err) ?? '';
        if (!replayable(code)) throw err;
        this.stats.retried[code] = (this.stats.retried[code] ?? 0) + 1;
        rows = [];
      }
      const byKey = new Map(rows.map((r) => [`${r.group_id}\u0000${r.client_id}`, r]));
      const rest: Pending[] = [];
      for (const p of unique) {
        const row = byKey.get(`${p.group.id}\u0000${p.clientId}`);
        if (row) outcome.set(p, { ok: stored(p, row) });
        else rest.push(p);
      }
      this.stats.replayed += rest.length;
      // Not inserted: a client id stored before, or a merged group (or a lost race): alone, each
      // answers the earlier message or its own error.
      // One after the other, in arrival order: a group's seqs keep the order its sends came in.
      for (const p of rest) {
        try {
          outcome.set(p, { ok: await storeMessage(this.db, { group: p.group, author: p.author, clientId: p.clientId, body: p.body, attachmentIds: [] }) });
        } catch (err) {
          outcome.set(p, { err });
        }
      }
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    for (const p of unique) {
      const o = outcome.get(p)!;
      if ('ok' in o) p.resolve(o.ok);
      else p.reject(o.err);
    }
    for (const { of, p } of repeats) {
      const o = outcome.get(of)!;
      if ('err' in o) p.reject(o.err);
      else if (!sameAuthor(of.author, p.author)) p.reject(new AppError(409, 'conflict', 'This client id was used by someone else'));
      else p.resolve({ ...o.ok, created: false, notifications: [] });
    }
  }

  private async insert(batch: Pending[]): Promise<InsertedRow[]> {
    const json = JSON.stringify(
      batch.map((p, idx) => ({
        idx,
        group_id: p.group.id,
        context_id: p.group.contextId,
        client_id: p.clientId,
        author_kind: p.author.kind,
        author_user_id: p.author.kind === 'internal' ? p.author.id : null,
        author_external_id: p.author.kind === 'external' ? p.author.id : null,
        body: p.body,
      })),
    );
    return this.execute(this.db, json);
  }

  /** The batch statement as a query of drizzle's (for a test running it in its own transaction). */
  static statement(json: string): SQL {
    const [before, after] = BATCH_SQL.split('$1') as [string, string];
    return sql`${sql.raw(before)}${json}${sql.raw(after)}`;
  }
}

/**
 * The batch in one statement, its input one JSON parameter. `fresh` looks each client id up in
 * the unique index, as a subquery per input row: the planner takes json_to_recordset for 100
 * rows, and a NOT EXISTS would become a hash anti-join over every message stored (a sequential
 * scan of the table for each batch, 10 ms at 50,000 messages and growing). `locked` takes the groups' row locks
 * in id order before `bumped` updates them (it reads `locked` in full first), FOR NO KEY UPDATE:
 * the lock the update takes anyway (FOR UPDATE would also block, and deadlock with, the
 * foreign-key checks of the notifications and emails inserted meanwhile). A merged group is left
 * out, and so are its messages. The notifications of the guests' messages are inserted by the
 * same statement (`n`), and read back with what they show (`notified`, the context's subject, the
 * guest's name and email): a message is never committed without them, and they are told live
 * with its broadcast.
 */
const BATCH_SQL = `
  with input as (
    select * from json_to_recordset($1::json)
      as x(idx integer, group_id uuid, context_id uuid, client_id text, author_kind author_kind, author_user_id uuid, author_external_id uuid, body text)
  ),
  fresh as (
    select i.* from input i
    where (select m.id from messages m where m.group_id = i.group_id and m.client_id = i.client_id) is null
  ),
  counts as (select group_id, count(*)::integer as n from fresh group by group_id),
  locked as (
    select g.id from groups g
    where g.id in (select group_id from counts) and g.merged_into is null
    order by g.id
    for no key update
  ),
  bumped as (
    update groups g set last_seq = g.last_seq + c.n
    from counts c
    where g.id = c.group_id and g.id in (select id from locked)
    returning g.id, g.last_seq, c.n
  ),
  inserted as (
    insert into messages (group_id, seq, client_id, author_kind, author_user_id, author_external_id, body)
    select f.group_id, b.last_seq - b.n + row_number() over (partition by f.group_id order by f.idx), f.client_id, f.author_kind, f.author_user_id, f.author_external_id, f.body
    from fresh f join bumped b on b.id = f.group_id
    returning id, group_id, client_id, seq, created_at, author_external_id
  ),
  placed as (
    select i.*, f.context_id, f.idx as order_key from inserted i join fresh f on f.group_id = i.group_id and f.client_id = i.client_id
  ),
  n as (${insertNotificationsSql('placed')}),
  notified as (select n.message_id, ${notifiedJsonSql} as list from n group by n.message_id)
  select p.id, p.group_id, p.client_id, p.seq, p.created_at, nd.list as notified, c.subject, e.name as external_name, e.email as external_email
  from placed p
  left join notified nd on nd.message_id = p.id
  left join contexts c on nd.list is not null and c.id = p.context_id
  left join external_users e on nd.list is not null and e.id = p.author_external_id`;

/** Runs the batch through drizzle (PGlite, and tests that wrap the statement in a transaction of their own). */
async function executeBatch(db: Db, json: string): Promise<InsertedRow[]> {
  return ((await db.execute(SendBatcher.statement(json))) as unknown as { rows: InsertedRow[] }).rows;
}

/**
 * On PostgreSQL: the batch as a named statement on the pool, so that each connection parses and
 * plans it once. Every step of the plan is a lookup by key (see `fresh`), so the plan PostgreSQL
 * keeps for it stays good however large the tables grow. It costs a third of going through
 * drizzle, which builds the query text anew and has it parsed and planned each time (0.55 against
 * 1.7 ms a batch of one, measured on loopback).
 */
export function poolExecutor(pool: pg.Pool): (db: Db, json: string) => Promise<InsertedRow[]> {
  return async (_db, json) => (await pool.query<InsertedRow>({ name: BATCH_STATEMENT, text: BATCH_SQL, values: [json] })).rows;
}

/** The batch statement's name, on each PostgreSQL connection and in PGlite's one session. */
const BATCH_STATEMENT = 'chatpro_send_batch';
/** PostgreSQL's type oid of json: the statement's one parameter. */
const JSON_OID = 114;

/**
 * On PGlite: the batch as a named statement too, through its wire protocol, since PGlite's query
 * API has no named statements. Through drizzle each batch was parsed and planned anew, in
 * WebAssembly on the server's own thread: 4.1 ms for a batch of one, against 0.8 ms once prepared
 * (4.7 against 1.7 for five). The statement is parsed the first time; each batch is then one
 * Bind, Execute and Sync. It holds PGlite's transaction lock as its `query` does, so that it
 * never runs in the middle of a transaction of someone else's (which could roll it back after
 * its senders were answered).
 */
export function pgliteExecutor(client: PGlite): (db: Db, json: string) => Promise<InsertedRow[]> {
  const exclusive = <T>(fn: () => Promise<T>) => client._runExclusiveTransaction(() => client.runExclusive(fn));
  return async (_db, json) => {
    await prepareOnce(client, exclusive);
    const { messages } = await exclusive(() => client.execProtocol(Buffer.concat([serialize.bind({ statement: BATCH_STATEMENT, values: [json] }), serialize.execute({}), serialize.sync()])));
    // Text columns in the select's order (seq, created_at and the JSON as text, as InsertedRow allows).
    return messages.flatMap((m) => {
      if (m.name !== 'dataRow') return [];
      const [id, group_id, client_id, seq, created_at, notified, subject, external_name, external_email] = (m as wire.DataRowMessage).fields as (string | null)[];
      return [{ id: id!, group_id: group_id!, client_id: client_id!, seq: seq!, created_at: created_at!, notified: notified ?? null, subject: subject ?? null, external_name: external_name ?? null, external_email: external_email ?? null }];
    });
  };
}

/** The batch statement's Parse, once per PGlite instance (its one session) whatever the executors. */
const preparedOn = new WeakMap<PGlite, Promise<unknown>>();

function prepareOnce(client: PGlite, exclusive: <T>(fn: () => Promise<T>) => Promise<T>): Promise<unknown> {
  let parsed = preparedOn.get(client);
  if (!parsed) {
    parsed = exclusive(() => client.execProtocol(Buffer.concat([serialize.parse({ name: BATCH_STATEMENT, text: BATCH_SQL, types: [JSON_OID] }), serialize.sync()]))).catch((err) => {
      // Tried again by the next batch.
      preparedOn.delete(client);
      throw err;
    });
    preparedOn.set(client, parsed);
  }
  return parsed;
}

/** The batch statement's executor for this database: prepared on either engine. */
export function batchExecutor(database: Pick<Database, 'pool' | 'pglite'>): (db: Db, json: string) => Promise<InsertedRow[]> {
  if (database.pool) return poolExecutor(database.pool);
  if (database.pglite) return pgliteExecutor(database.pglite);
  return executeBatch;
}

export interface InsertedRow {
  id: string;
  group_id: string;
  client_id: string;
  seq: number | string;
  created_at: Date | string;
  /** The message's notifications (external messages only), with what they show. */
  notified: NotifiedRow[] | string | null;
  subject: string | null;
  external_name: string | null;
  external_email: string | null;
}

const sameAuthor = (a: Author, b: Author) => a.kind === b.kind && a.id === b.id;

function stored(p: Pending, row: InsertedRow): StoredMessage {
  const message = presentMessage(
    {
      id: row.id,
      groupId: p.group.id,
      seq: Number(row.seq),
      clientId: p.clientId,
      authorKind: p.author.kind,
      authorUserId: p.author.kind === 'internal' ? p.author.id : null,
      authorExternalId: p.author.kind === 'external' ? p.author.id : null,
      body: p.body,
      createdAt: row.created_at instanceof Date ? row.created_at : new Date(row.created_at),
    },
    authorDto(p.author),
    [],
  );
  const notifications = row.notified
    ? presentMessageNotifications(message, p.group.contextId, row.notified, { subject: row.subject!, externalName: row.external_name!, externalEmail: row.external_email! })
    : [];
  return { message, created: true, contextId: p.group.contextId, notifications };
}
