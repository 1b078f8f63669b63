/**
 * `npm run bench`: on loopback, side by side, a bare socket.io relay (no storage), a relay that
 * commits each message to the same database before broadcasting (the floor of this stack), and
 * ChatPro's real send path (guests and internal users signed in through the dev provider, real
 * groups, `message:send`, notifications on). Latency is the sender's send → the group's broadcast
 * received by the sender's own socket. Prints a table and writes bench/results/<date>.json.
 *
 *   npm run bench -- --clients 100 --rates 200,500 --duration 5 --engines pglite,postgres
 *   npm run bench -- --clients 1000 --rates 500,2000 --duration 30      (the full scale)
 *
 * Needs BENCH_DATABASE_URL (an admin URL) for the postgres engine; a database is made and dropped.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import os from 'node:os';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { openDatabase, type DatabaseOptions, type Db } from '../server/src/db/index.ts';
import { TestClient } from '../server/src/testing/client.ts';
import { makeContext, makeOrg, makeUser } from '../server/src/testing/factories.ts';
import { startTestServer } from '../server/src/testing/testServer.ts';
import { figureTable, measureOthers } from './extra.ts';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '100' },
    rates: { type: 'string', default: '200,500' },
    duration: { type: 'string', default: '5' },
    engines: { type: 'string', default: 'pglite,postgres' },
    quick: { type: 'boolean', default: false },
  },
});
const clients = args.quick ? 40 : Number(args.clients);
const rates = (args.quick ? '100' : args.rates).split(',').map(Number);
const duration = (args.quick ? 2 : Number(args.duration)) * 1000;
const engines = args.engines.split(',') as ('pglite' | 'postgres')[];
const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;

interface Result {
  engine: string;
  path: string;
  clients: number;
  rate: number;
  sent: number;
  received: number;
  lost: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  rssMiB: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);

/** Connects, then drives `rate` msg/s round-robin over the senders for `duration`; answers the latencies. */
async function drive(
  label: { engine: string; path: string },
  senders: Socket[],
  rate: number,
  send: (s: Socket, i: number, clientId: string) => void,
  receivedEvent: string,
  idOf: (payload: any) => string,
): Promise<Result> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  for (const s of senders) {
    s.on(receivedEvent, (p: unknown) => {
      const id = idOf(p);
      const t = sentAt.get(id);
      if (t === undefined) return;
      sentAt.delete(id);
      latencies.push(performance.now() - t);
    });
  }
  let sent = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      // A blocked event loop (PGlite runs on it) must not turn into a catch-up burst past the total.
      const due = Math.min(Math.floor(((performance.now() - start) / 1000) * rate), Math.floor((duration / 1000) * rate));
      while (sent < due) {
        const s = senders[sent % senders.length]!;
        const id = randomUUID().replace(/-/g, '');
        sentAt.set(id, performance.now());
        send(s, sent, id);
        sent++;
      }
      if (performance.now() - start >= duration) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  const until = performance.now() + 3000;
  while (sentAt.size > 0 && performance.now() < until) await sleep(20);
  for (const s of senders) s.off(receivedEvent);
  const sorted = latencies.sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    ...label,
    clients: senders.length,
    rate,
    sent,
    received: latencies.length,
    lost: sent - latencies.length,
    p50: r(pct(sorted, 50)),
    p90: r(pct(sorted, 90)),
    p99: r(pct(sorted, 99)),
    max: r(sorted.at(-1) ?? NaN),
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
}

async function connectAll(url: string, n: number, opts: (i: number) => object = () => ({})): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, (_, j) => {
        const s = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...opts(i + j) });
        return new Promise<Socket>((resolve, reject) => {
          s.once('connect', () => resolve(s));
          s.once('connect_error', reject);
        });
      }),
    );
    sockets.push(...batch);
  }
  return sockets;
}

/** The floor: socket.io alone, optionally committing each message (one autocommit insert) first. */
async function relay(engine: string, db: Db | null, rate: number): Promise<Result> {
  const http = createServer();
  const io = new Server(http, { serveClient: false });
  io.on('connection', (socket) => {
    const room = `group:${Number(socket.handshake.auth.i) % Math.max(1, Math.floor(clients / 2))}`;
    void socket.join(room);
    socket.on('send', async (m: { id: string; body: string }, ack: (r: unknown) => void) => {
      if (db) await db.execute(sql`insert into bench_relay (room, client_id, body) values (${room}, ${m.id}, ${m.body})`);
      ack({ ok: true });
      io.to(room).emit('msg', m);
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const sockets = await connectAll(url, clients, (i) => ({ auth: { i } }));
  const result = await drive(
    { engine, path: db ? 'committed relay' : 'bare relay' },
    sockets,
    rate,
    (s, _i, id) => s.emit('send', { id, body: 'Buongiorno, avrei una domanda' }, () => {}),
    'msg',
    (m: { id: string }) => m.id,
  );
  for (const s of sockets) s.disconnect();
  await io.close();
  return result;
}

/** ChatPro's send path: half guests, half internal users, a group per guest with one internal member. */
async function product(engine: string, options: DatabaseOptions, rates: number[]): Promise<Result[]> {
  const server = await startTestServer(options, { GUEST_EMAIL_DELAY_MS: '3600000' });
  const results: Result[] = [];
  try {
    const db = server.database.db;
    const org = await makeOrg(db);
    const guests = Math.ceil(clients / 2);
    const internals = clients - guests;
    const sockets: Socket[] = [];
    const groupOf = new Map<Socket, string>();
    const internalClients: TestClient[] = [];
    for (let i = 0; i < internals; i++) {
      const u = await makeUser(db, org);
      const c = new TestClient(server.url);
      await c.signIn('internal', u.email);
      internalClients.push(c);
      (c as TestClient & { user?: typeof u }).user = u;
    }
    const cookie = (c: TestClient) => [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    for (let i = 0; i < guests; i++) {
      const owner = internalClients[i % internals]! as TestClient & { user: { id: string; orgId: string } };
      const ctx = await makeContext(db, owner.user, { kind: 'email' }, [owner.user.id]);
      const { body: link } = await owner.post(`/api/contexts/${ctx.id}/links`, {});
      const g = new TestClient(server.url);
      await g.signIn('external', `bench-${randomBytes(4).toString('hex')}@guest.test`, { name: `Guest ${i}` });
      const [s] = await connectAll(server.url, 1, () => ({ extraHeaders: { cookie: cookie(g) } }));
      const first = await s!.timeout(5000).emitWithAck('message:send', { linkToken: (link as { token: string }).token, clientId: randomUUID().replace(/-/g, ''), body: 'Ciao' });
      groupOf.set(s!, first.message.groupId);
      sockets.push(s!);
    }
    const internalSockets: Socket[] = [];
    for (const [i, c] of internalClients.entries()) {
      const [s] = await connectAll(server.url, 1, () => ({ extraHeaders: { cookie: cookie(c) } }));
      internalSockets.push(s!);
      // Each internal user opens the groups of the guests whose contexts they own.
      for (let j = i; j < guests; j += internals) {
        const gid = groupOf.get(sockets[j]!)!;
        await s!.timeout(5000).emitWithAck('chat:join', { groupId: gid, sinceSeq: 0 });
        if (!groupOf.has(s!)) groupOf.set(s!, gid);
      }
    }
    const senders = [...sockets, ...internalSockets.filter((s) => groupOf.has(s))];
    for (const rate of rates) {
      results.push(
        await drive(
          { engine, path: 'ChatPro send' },
          senders,
          rate,
          (s, _i, id) => s.emit('message:send', { groupId: groupOf.get(s), clientId: id, body: 'Buongiorno, avrei una domanda' }, () => {}),
          'message:new',
          (m: { clientId: string }) => m.clientId,
        ),
      );
      await server.chat.settle();
    }
    for (const s of senders) s.disconnect();
  } finally {
    await server.close();
  }
  return results;
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
for (const engine of engines) {
  await withEngine(engine, async (options) => {
    for (const rate of rates) results.push(await relay(engine, null, rate));
    const database = await openDatabase(options);
    await database.db.execute(sql`create table if not exists bench_relay (id bigserial primary key, room text not null, client_id text not null, body text not null)`);
    for (const rate of rates) results.push(await relay(engine, database.db, rate));
    await database.close();
    // PGlite is one process's memory: the product path gets a fresh one.
    results.push(...(await product(engine, engine === 'pglite' ? { kind: 'pglite', dataDir: null } : options, rates)));
  });
}

// Resume, export, idle sockets, cross-process delivery (bench/extra.ts), each with its target.
const figures = await measureOthers({ engines, quick: args.quick });
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()}`;
const header = ['engine', 'path', 'clients', 'msg/s', 'sent', 'lost', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'RSS MiB'];
const rows = results.map((r) => [r.engine, r.path, r.clients, r.rate, r.sent, r.lost, r.p50, r.p90, r.p99, r.max, r.rssMiB].map(String));
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(`\n${machine}\n`);
console.log([line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n'));
const ratios = engines.flatMap((engine) =>
  rates.map((rate) => {
    const floor = results.find((r) => r.engine === engine && r.path === 'committed relay' && r.rate === rate);
    const send = results.find((r) => r.engine === engine && r.path === 'ChatPro send' && r.rate === rate);
    return { engine, rate, p50: send && floor ? +(send.p50 / floor.p50).toFixed(2) : null, p99: send && floor ? +(send.p99 / floor.p99).toFixed(2) : null };
  }),
);
for (const r of ratios) console.log(`${r.engine} @ ${r.rate} msg/s: send/committed floor p50 ×${r.p50}, p99 ×${r.p99}`);
console.log(`\n${figureTable(figures)}`);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine, args: { clients, rates, duration, engines }, results, ratios, figures }, null, 2));
console.log(`\nwrote ${file}`);
process.exit(0);
