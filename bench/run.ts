/**
 * `npm run bench`: on loopback, side by side, a bare socket.io relay (no storage), a relay that
 * commits each message to the same database before broadcasting (the naive floor of this stack:
 * one autocommit insert per message), the same relay with group commit (the inserts of a loop
 * turn as one statement: what batching alone makes of the floor), and ChatPro's real send path (guests and internal users
 * signed in through the dev provider, one real group per guest and internal user, `message:send`,
 * notifications and offline-email bookkeeping on). Latency is the sender's send → the group's
 * broadcast received by its other member (the sender's own socket has the message in its ack, and
 * is left out of the broadcast, in the relays as in the product). For each of them it also
 * searches the highest rate sustained with p99 ≤ 50 ms and nothing lost. Prints tables and writes
 * bench/results/<date>.json.
 *
 * Processes: the servers (relays, ChatPro, PGlite when that is the engine) run in this process;
 * the client sockets run in a forked load generator (bench/load.ts), so that the RSS and CPU
 * reported as the server's are the server side's only. PostgreSQL's CPU (when it runs on this
 * machine) and the generator's are columns of their own, and "CPU µs/msg" adds the three: what a
 * message costs the machine, which bounds the rate 2 cores can sustain. The script runs
 * with --expose-gc and collects before each server starts, so that one's garbage does not count
 * for the next.
 *
 *   npm run bench                          (1,000 clients, 500 and 2,000 msg/s, both engines, ~10 min)
 *   npm run bench -- --quick               (a smoke run, < 1 min)
 *   npm run bench -- --clients 200 --rates 200,500 --duration 5 --engines postgres --no-search
 *   npm run bench -- --engines postgres --paths committed,product --no-extra   (the send path alone)
 *
 * Needs BENCH_DATABASE_URL or TEST_DATABASE_URL (an admin URL) for the postgres engine; a
 * database is made and dropped.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { monitorEventLoopDelay, performance as nodePerformance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { Session as InspectorSession } from 'node:inspector/promises';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { Server } from 'socket.io';
import { openDatabase, type DatabaseOptions, type Db } from '../server/src/db/index.ts';
import { TestClient } from '../server/src/testing/client.ts';
import { makeContext, makeOrg, makeUser } from '../server/src/testing/factories.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';
import type { SendBatcher } from '../server/src/services/sendBatch.ts';
import type { DriveResult, LoadRequest, Mode, SocketSpec } from './load.ts';
import { figureTable, measureOthers } from './extra.ts';
import { adminUrl as benchAdminUrl, cpuName, postgresCpuSeconds, postgresSettings, resultsPath } from './lib.ts';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    rates: { type: 'string', default: '500,2000' },
    duration: { type: 'string', default: '10' },
    engines: { type: 'string', default: 'pglite,postgres' },
    quick: { type: 'boolean', default: false },
    'no-search': { type: 'boolean', default: false },
    /** Skips bench/extra.ts (resume, export, idle sockets, cross-process). */
    'no-extra': { type: 'boolean', default: false },
    /** Which to run: bare, committed, batched, product. */
    paths: { type: 'string', default: 'bare,committed,batched,product' },
  },
});
const clients = args.quick ? 40 : Number(args.clients);
const rates = (args.quick ? '200' : args.rates).split(',').map(Number);
const duration = (args.quick ? 1.5 : Number(args.duration)) * 1000;
const engines = args.engines.split(',') as ('pglite' | 'postgres')[];
const paths = new Set(args.paths.split(','));
const adminUrl = benchAdminUrl();
/** The rate search: each step this long, at most this many steps, starting here. */
const search = args['no-search'] ? null : args.quick ? { stepMs: 1000, maxSteps: 1, start: 500 } : { stepMs: 4000, maxSteps: 5, start: 1000 };
/** The bar of the search: p99 at most this, nothing lost, no error. */
const P99_BAR_MS = 50;

interface Result extends DriveResult {
  engine: string;
  path: string;
  clients: number;
  rate: number;
  /** The server process's peak RSS while driving. */
  rssMiB: number;
  /** The server process's CPU while driving, % of one core. */
  serverCpu: number;
  /** PostgreSQL's CPU while driving (all its processes), % of one core; null on PGlite or a remote server. */
  dbCpu: number | null;
  /** CPU of server, PostgreSQL and load generator together, per message sent, in µs. */
  cpuPerMessageUs: number;
  /** The server process's own CPU per message sent, in µs (on PGlite its database's too). */
  serverUsPerMessage: number;
  /** How busy the server's event loop was while driving (0–100 %), and its delay p99 in ms. */
  serverLoop: number;
  serverLagP99: number;
}

interface Sustained {
  engine: string;
  path: string;
  /** Highest rate that passed (p99 ≤ P99_BAR_MS, nothing lost), 0 when none did. */
  rate: number;
  p50: number;
  p99: number;
  /** The rate that failed above it, if one was tried. */
  failedAt: number | null;
  /** Each rate tried, with what a message cost there (CPU µs in all, and in the server). */
  steps: { rate: number; achieved: number; p99: number; lost: number; errors: number; unanswered: number; cpuPerMessageUs: number; serverUsPerMessage: number }[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const collectGarbage = () => (globalThis as { gc?: () => void }).gc?.();

/** The forked load generator (bench/load.ts): its sockets, its sends, its clock. */
class Load {
  private constructor(private readonly child: ChildProcess) {}

  static async start(url: string, mode: Mode, specs: SocketSpec[]): Promise<Load> {
    const child = fork(new URL('./load.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const load = new Load(child);
    await load.ask({ type: 'connect', url, mode, specs });
    return load;
  }

  private ask<T>(request: LoadRequest): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`load generator exited (${code})`));
      this.child.once('exit', onExit);
      this.child.once('message', (m: { ok: boolean; error?: string } & T) => {
        this.child.off('exit', onExit);
        if (m.ok) resolve(m);
        else reject(new Error(m.error));
      });
      this.child.send(request);
    });
  }

  /** Drives `rate` msg/s for `durationMs`, sampling this (the server's) process meanwhile. */
  async drive(label: { engine: string; path: string }, rate: number, durationMs: number): Promise<Result> {
    let rss = process.memoryUsage().rss;
    const sampler = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 100);
    const cpu0 = process.cpuUsage();
    const db0 = label.engine === 'postgres' ? postgresCpuSeconds() : null;
    const elu0 = nodePerformance.eventLoopUtilization();
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    const t0 = performance.now();
    try {
      const { result } = await this.ask<{ result: DriveResult }>({ type: 'drive', rate, durationMs, drainMs: 3000 });
      const cpu = process.cpuUsage(cpu0);
      const db1 = db0 === null ? null : postgresCpuSeconds();
      const elapsedMs = performance.now() - t0;
      const serverMs = (cpu.user + cpu.system) / 1000;
      const dbMs = db0 === null || db1 === null ? 0 : (db1 - db0) * 1000;
      const clientMs = (result.clientCpu / 100) * elapsedMs;
      return {
        ...label,
        clients,
        rate,
        ...result,
        rssMiB: Math.round(rss / 2 ** 20),
        serverCpu: Math.round((serverMs / elapsedMs) * 100),
        dbCpu: db0 === null || db1 === null ? null : Math.round((dbMs / elapsedMs) * 100),
        cpuPerMessageUs: Math.round(((serverMs + dbMs + clientMs) * 1000) / Math.max(1, result.sent)),
        serverUsPerMessage: Math.round((serverMs * 1000) / Math.max(1, result.sent)),
        serverLoop: Math.round(nodePerformance.eventLoopUtilization(elu0).utilization * 100),
        serverLagP99: Math.round(lag.percentile(99) / 1e6),
      };
    } finally {
      lag.disable();
      clearInterval(sampler);
    }
  }

  async close(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    await this.ask({ type: 'close' }).catch(() => {});
    await Promise.race([exited, sleep(5000)]);
    this.child.kill();
  }
}

/** A rate passes when the generator kept up with it, nothing was lost or refused and p99 is within the bar. */
const passes = (r: Result) => r.lost === 0 && r.errors === 0 && r.p99 <= P99_BAR_MS && r.achieved >= 0.95 * r.rate;

/**
 * The highest rate that passes. The fixed-rate rows already run are its first points; from the
 * best pass it doubles until a step fails (or halves from the lowest failure until one passes),
 * then halves the gap between the best pass and the lowest failure, to within 15 %.
 */
async function searchRate(label: { engine: string; path: string }, known: Result[], step: (rate: number) => Promise<Result>, settle: () => Promise<void>): Promise<Sustained> {
  let good: Result | null = null;
  let bad: Result | null = null;
  const consider = (r: Result) => {
    if (passes(r)) {
      if (!good || r.rate > good.rate) good = r;
    } else if (!bad || r.rate < bad.rate) bad = r;
  };
  known.forEach(consider);
  const stepOf = (r: Result): Sustained['steps'][number] => ({ rate: r.rate, achieved: r.achieved, p99: r.p99, lost: r.lost, errors: r.errors, unanswered: r.unanswered, cpuPerMessageUs: r.cpuPerMessageUs, serverUsPerMessage: r.serverUsPerMessage });
  const steps = known.map(stepOf);
  // A server still busy with an earlier run would spoil every step after it.
  const busy = () => known.some((r) => r.unanswered > 0);
  for (let i = 0; i < search!.maxSteps && !busy(); i++) {
    const g = good as Result | null;
    const b = bad as Result | null;
    if (g && b && b.rate / g.rate <= 1.15) break;
    const rate = !b ? (g ? g.rate * 2 : search!.start) : g ? Math.round((g.rate + b.rate) / 2 / 50) * 50 : Math.round(b.rate / 2 / 50) * 50;
    if (rate < 50 || steps.some((s) => s.rate === rate)) break;
    const r = await step(rate);
    steps.push(stepOf(r));
    console.log(`  search ${label.engine} ${label.path} @ ${rate} msg/s: p99 ${r.p99} ms, lost ${r.lost}, errors ${r.errors}, achieved ${r.achieved} msg/s`);
    consider(r);
    if (r.unanswered > 0) break;
    await settle();
  }
  const g = good as Result | null;
  const b = bad as Result | null;
  return { ...label, rate: g?.rate ?? 0, p50: g?.p50 ?? NaN, p99: g?.p99 ?? NaN, failedAt: b?.rate ?? null, steps };
}

/**
 * Group commit at its simplest: the sends of one loop turn stored by one multi-row insert (at most
 * two in flight; ChatPro's batcher runs one per lane, four on PostgreSQL), each answered and
 * broadcast once it committed. What batching alone makes of the floor on this machine, with none
 * of the product's work.
 */
function groupCommit(db: Db): (row: { room: string; id: string; body: string }) => Promise<void> {
  const queue: { room: string; id: string; body: string; done: (err?: unknown) => void }[] = [];
  let inFlight = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    while (queue.length > 0 && inFlight < 2) {
      const batch = queue.splice(0, 256);
      inFlight++;
      db.execute(sql`insert into bench_relay (room, client_id, body) select room, id, body from json_to_recordset(${JSON.stringify(batch.map(({ room, id, body }) => ({ room, id, body })))}::json) as x(room text, id text, body text)`).then(
        () => batch.forEach((b) => b.done()),
        (err: unknown) => batch.forEach((b) => b.done(err)),
      ).finally(() => {
        inFlight--;
        schedule();
      });
    }
  };
  const schedule = () => {
    if (scheduled || queue.length === 0 || inFlight >= 2) return;
    scheduled = true;
    setImmediate(flush);
  };
  return (row) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ ...row, done: (err) => (err ? reject(err) : resolve()) });
      schedule();
    });
}

const RELAY_PATHS = { bare: 'bare relay', committed: 'committed relay', batched: 'batched relay' } as const;

/**
 * The floor: socket.io alone (bare), or committing each message first: one autocommit insert per
 * message (committed, the naive floor), or the inserts of a loop turn together (batched).
 */
async function relay(engine: string, db: Db | null, kind: keyof typeof RELAY_PATHS): Promise<{ rows: Result[]; sustained: Sustained | null }> {
  collectGarbage();
  const http = createServer();
  const io = new Server(http, { serveClient: false });
  let inFlight = 0;
  const store =
    kind === 'bare' || !db
      ? null
      : kind === 'batched'
        ? groupCommit(db)
        : async (m: { room: string; id: string; body: string }) => void (await db.execute(sql`insert into bench_relay (room, client_id, body) values (${m.room}, ${m.id}, ${m.body})`));
  io.on('connection', (socket) => {
    // Pairs of sockets share a room, as a guest and an internal user share a group.
    const room = `group:${Number(socket.handshake.auth.i) % Math.max(1, Math.floor(clients / 2))}`;
    void socket.join(room);
    socket.on('send', async (m: { id: string; body: string }, ack: (r: unknown) => void) => {
      inFlight++;
      try {
        if (store) await store({ room, id: m.id, body: m.body });
        ack({ ok: true });
        socket.to(room).emit('msg', m);
      } catch {
        ack({ ok: false });
      } finally {
        inFlight--;
      }
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const label = { engine, path: RELAY_PATHS[kind] };
  const load = await Load.start(url, 'relay', Array.from({ length: clients }, (_, i) => ({ auth: { i } })));
  const rows: Result[] = [];
  let sustained: Sustained | null = null;
  const settle = async () => {
    while (inFlight > 0) await sleep(20);
    await sleep(300);
  };
  try {
    for (const rate of rates) {
      rows.push(await load.drive(label, rate, duration));
      await settle();
    }
    if (search) sustained = await searchRate(label, rows, (rate) => load.drive(label, rate, search!.stepMs), settle);
  } finally {
    await load.close();
    await io.close();
  }
  return { rows, sustained };
}

/**
 * With BENCH_CPU_PROFILE=<dir>, a CPU profile of this (the server's) process while the product is
 * driven at each rate, written as <dir>/<label>.cpuprofile (open it in Chrome's DevTools).
 */
async function profile(label: string): Promise<() => Promise<void>> {
  const dir = process.env.BENCH_CPU_PROFILE;
  if (!dir) return async () => {};
  const session = new InspectorSession();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile: taken } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/${label}.cpuprofile`, JSON.stringify(taken));
    session.disconnect();
  };
}

/** Runs `fn` over `items` with at most `n` at once. */
async function pool<T>(items: T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/** ChatPro's send path: half guests, half internal users, one group per guest with its internal user. */
async function product(engine: string, options: DatabaseOptions): Promise<{ rows: Result[]; sustained: Sustained | null; batches: SendBatcher["stats"] }> {
  collectGarbage();
  const server = await startTestServer(options, { GUEST_EMAIL_DELAY_MS: '3600000' });
  const rows: Result[] = [];
  let sustained: Sustained | null = null;
  let load: Load | null = null;
  try {
    const db = server.database.db;
    const org = await makeOrg(db);
    const pairs = Math.floor(clients / 2);
    const cookie = (c: TestClient) => [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const specs: SocketSpec[] = [];
    const t0 = performance.now();
    await pool(Array.from({ length: pairs }, (_, i) => i), 16, async (i) => {
      const user = await makeUser(db, org);
      const internal = new TestClient(server.url);
      await internal.signIn('internal', user.email);
      const ctx = await makeContext(db, user, { kind: 'email' }, [user.id]);
      const { body: link } = await internal.post(`/api/contexts/${ctx.id}/links`, {});
      const guest = new TestClient(server.url);
      await guest.signIn('external', `bench-${randomBytes(6).toString('hex')}@guest.test`, { name: `Guest ${i}` });
      const { status, body: first } = await guest.post(`/api/guest/${(link as { token: string }).token}/messages`, {
        clientId: randomBytes(16).toString('hex'),
        body: 'Ciao',
        attachmentIds: [],
      });
      if (status !== 201) throw new Error(`first message: ${status} ${JSON.stringify(first)}`);
      const groupId = (first as { groupId: string }).groupId;
      specs[2 * i] = { cookie: cookie(guest), groupId };
      specs[2 * i + 1] = { cookie: cookie(internal), groupId };
    });
    await server.chat.settle();
    console.log(`  ${engine}: ${pairs} guests and ${pairs} internal users signed in, ${pairs} groups, in ${Math.round(performance.now() - t0)} ms`);
    load = await Load.start(server.url, 'product', specs);
    const label = { engine, path: 'ChatPro send' };
    const settle = async () => {
      await server.chat.settle();
      await sleep(300);
    };
    for (const rate of rates) {
      const stop = await profile(`${engine}-product-${rate}`);
      rows.push(await load.drive(label, rate, duration));
      await stop();
      await settle();
    }
    if (search) sustained = await searchRate(label, rows, (rate) => load!.drive(label, rate, search!.stepMs), settle);
  } finally {
    await load?.close();
    await server.close();
  }
  return { rows, sustained, batches: { ...server.chat.batcher.stats } };
}

async function withEngine<T>(engine: 'pglite' | 'postgres', fn: (options: DatabaseOptions) => Promise<T>): Promise<T> {
  if (engine === 'pglite') return fn({ kind: 'pglite', dataDir: null });
  if (!adminUrl) throw new Error('BENCH_DATABASE_URL (or TEST_DATABASE_URL) must name a PostgreSQL admin URL for --engines postgres');
  const name = `chatpro_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  try {
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    return await fn({ kind: 'postgres', url: u.href });
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

const results: Result[] = [];
const sustained: Sustained[] = [];
const batching: ({ engine: string } & SendBatcher["stats"])[] = [];
const started = performance.now();
for (const engine of engines) {
  await withEngine(engine, async (options) => {
    if (paths.has('bare')) {
      // The ceiling: what socket.io alone sustains on this machine, with the load generator beside it.
      const bare = await relay(engine, null, 'bare');
      results.push(...bare.rows);
      if (bare.sustained) sustained.push(bare.sustained);
    }
    for (const kind of ['committed', 'batched'] as const) {
      if (!paths.has(kind)) continue;
      const database = await openDatabase(options);
      await database.db.execute(sql`create table if not exists bench_relay (id bigserial primary key, room text not null, client_id text not null, body text not null)`);
      const floor = await relay(engine, database.db, kind);
      await database.close();
      results.push(...floor.rows);
      if (floor.sustained) sustained.push(floor.sustained);
    }
    if (paths.has('product')) {
      // PGlite is one process's memory: the product path gets a fresh one.
      const send = await product(engine, engine === 'pglite' ? { kind: 'pglite', dataDir: null } : options);
      results.push(...send.rows);
      if (send.sustained) sustained.push(send.sustained);
      batching.push({ engine, ...send.batches });
    }
  });
}

// Resume, export, idle sockets, cross-process delivery (bench/extra.ts), each with its target.
const figures = args['no-extra'] ? [] : await measureOthers({ engines, quick: args.quick });
const postgres = engines.includes('postgres') && adminUrl ? await postgresSettings(adminUrl) : null;
const machine = `${os.cpus().length} × ${cpuName()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()}${postgres ? `; ${postgres}` : ''}`;
const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
const table = (header: string[], rows: string[][]) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
};
console.log(`\n${machine}; load average at the end ${load}; ${Math.round((performance.now() - started) / 1000)} s\n`);
console.log(
  table(
    ['engine', 'path', 'clients', 'msg/s', 'sent', 'lost', 'errors', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'server RSS MiB', 'server CPU %', 'server loop %', 'loop delay p99 ms', 'PostgreSQL CPU %', 'generator CPU %', 'CPU µs/msg'],
    results.map((r) => [r.engine, r.path, r.clients, r.rate, r.sent, r.lost, r.errors, r.p50, r.p90, r.p99, r.max, r.rssMiB, r.serverCpu, r.serverLoop, r.serverLagP99, r.dbCpu ?? '–', r.clientCpu, r.cpuPerMessageUs].map(String)),
  ),
);
if (sustained.length) {
  console.log(`\nHighest rate sustained with p99 ≤ ${P99_BAR_MS} ms and nothing lost (${clients} clients):\n`);
  console.log(
    table(
      ['engine', 'path', 'msg/s', 'p50 ms', 'p99 ms', 'failed at'],
      sustained.map((s) => [s.engine, s.path, s.rate, s.p50, s.p99, s.failedAt ?? '—'].map(String)),
    ),
  );
}
const ratios = engines.flatMap((engine) =>
  rates.map((rate) => {
    const floor = results.find((r) => r.engine === engine && r.path === 'committed relay' && r.rate === rate);
    const send = results.find((r) => r.engine === engine && r.path === 'ChatPro send' && r.rate === rate);
    return { engine, rate, p50: send && floor ? +(send.p50 / floor.p50).toFixed(2) : null, p99: send && floor ? +(send.p99 / floor.p99).toFixed(2) : null };
  }),
);
console.log('');
for (const r of ratios) console.log(`${r.engine} @ ${r.rate} msg/s: send/committed floor p50 ×${r.p50}, p99 ×${r.p99}`);
console.log(`\n${figureTable(figures)}`);
const throughput = engines.map((engine) => {
  const rate = (path: string) => sustained.find((s) => s.engine === engine && s.path === path)?.rate ?? null;
  const [floor, send, batched] = [rate('committed relay'), rate('ChatPro send'), rate('batched relay')];
  const over = (r: number | null) => (floor && r !== null ? +(r / floor).toFixed(2) : null);
  return { engine, floor, send, ratio: over(send), batched, batchedRatio: over(batched) };
});
for (const t of throughput) {
  if (t.send !== null) console.log(`${t.engine}: sustained durable throughput ${t.send} msg/s, committed floor ${t.floor} msg/s, ×${t.ratio}`);
  if (t.batched !== null) console.log(`${t.engine}: group commit alone (batched relay) ${t.batched} msg/s, ×${t.batchedRatio} the committed floor`);
}
/**
 * What twice the committed floor asks of this machine: its cores' time spread over twice the
 * floor's rate, and one core's (a server is one thread: on PGlite its database runs on it too),
 * against what a message cost each path at its highest sustained rate, in all (server, PostgreSQL
 * when it runs here, load generator: "CPU µs/msg") and in the server. A path whose message costs
 * more than the cores give cannot sustain twice the floor on this machine, however its work is
 * scheduled. The thread's side is an estimate: the server's CPU also counts V8's and libuv's
 * helper threads, which run beside the main one.
 */
const budgets = engines.flatMap((engine) => {
  const floor = sustained.find((s) => s.engine === engine && s.path === 'committed relay');
  // Only where every process's CPU is counted (PGlite is in the server; PostgreSQL here, not remote).
  const counted = engine === 'pglite' || results.some((r) => r.engine === engine && r.dbCpu !== null);
  if (!floor?.rate || !counted) return [];
  const twice = 2 * floor.rate;
  // Each path's step at the rate it sustained (none when no rate passed).
  const cost = Object.fromEntries(
    sustained.filter((s) => s.engine === engine).map((s) => {
      const step = s.rate ? s.steps.find((st) => st.rate === s.rate) : undefined;
      return [s.path, { all: step?.cpuPerMessageUs, server: step?.serverUsPerMessage }];
    }),
  );
  return [{ engine, twiceFloor: twice, machineUs: Math.round((os.cpus().length * 1e6) / twice), threadUs: Math.round(1e6 / twice), cost }];
});
for (const b of budgets) {
  const costs = Object.entries(b.cost).map(([path, us]) => `${path} ${us.all ?? '–'} / ${us.server ?? '–'}`).join(', ');
  console.log(
    `${b.engine}: twice the committed floor is ${b.twiceFloor} msg/s, where ${os.cpus().length} cores give ${b.machineUs} µs of CPU a message and a server's one thread ${b.threadUs} µs; ` +
      `at its highest sustained rate a message cost, in all / in the server (µs): ${costs}`,
  );
}
for (const b of batching) console.log(`${b.engine}: ChatPro stored ${b.messages} messages in ${b.batches} batch statements (${(b.messages / Math.max(1, b.batches)).toFixed(1)} per batch), ${b.replayed} replayed alone ${JSON.stringify(b.retried)}; statements took ${(b.statementMs / Math.max(1, b.batches)).toFixed(1)} ms on average, ${b.maxStatementMs.toFixed(0)} ms at most`);
const file = resultsPath('.json', true);
writeFileSync(
  file,
  JSON.stringify({ date: new Date().toISOString(), machine, loadAverage: os.loadavg(), args: { clients, rates, duration, engines, paths: [...paths], search }, results, sustained, ratios, throughput, budgets, batching, figures }, null, 2),
);
console.log(`\nwrote ${file}`);
process.exit(0);
