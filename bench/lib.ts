/**
 * Shared pieces of the benchmark's non-send-path measurements (resume, export, idle sockets,
 * cross-process delivery): a database per engine, a server in a process of its own (so that its
 * memory is its own), RSS read from /proc, percentiles, and the figure rows they answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { io as connect, type Socket } from 'socket.io-client';
import { openDatabase, type Db } from '../server/src/db/index.ts';
import { SERVER_NODE_FLAGS } from '../server/src/nodeFlags.ts';
import { spawnServer, type ChildServer } from '../server/src/testing/childServer.ts';

export type Engine = 'pglite' | 'postgres';

/** One measured figure, with its target: a row of the printed table and of the JSON. */
export interface Figure {
  engine: Engine;
  measure: string;
  value: number | null;
  unit: string;
  /** What it is compared with, e.g. "≤ 250 ms" or "≤ 1.2× bare relay". */
  target: string;
  pass: boolean | null;
  /** How it was obtained, the numbers a ratio is made of. */
  detail: string;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);
export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
export const MiB = 2 ** 20;

/** VmRSS and VmHWM (peak) of a process, in bytes. */
export function rssOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/** Linux's clock ticks per second, the unit of the CPU times in /proc/<pid>/stat. */
const CLOCK_TICKS = 100;

/**
 * CPU seconds used so far by every PostgreSQL process of this machine (server and backends,
 * from /proc), or null when there is none to see (a server elsewhere, or PGlite). Backends that
 * ended are in the postmaster's children's times (cutime, cstime), so a pool that closes a
 * connection meanwhile does not make the count go back.
 */
export function postgresCpuSeconds(): number | null {
  let ticks = 0;
  let seen = false;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid …": utime, stime, cutime and cstime are the 14th to 17th fields.
    const close = stat.lastIndexOf(')');
    if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
    const fields = stat.slice(close + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    seen = true;
  }
  return seen ? ticks / CLOCK_TICKS : null;
}

/** Samples a process's RSS every few milliseconds; `stop()` answers the highest seen. */
export function sampleRss(pid: number, everyMs = 10): { stop(): number } {
  let peak = rssOf(pid).rss;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(pid).rss);
    } catch {
      // The process ended; the peak so far stands.
    }
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      try {
        peak = Math.max(peak, rssOf(pid).rss);
      } catch {
        // idem
      }
      return peak;
    },
  };
}

/**
 * Asks a child started with --expose-gc to collect (SIGUSR2), lets it settle, and answers the
 * `memory <JSON>` line it prints (process.memoryUsage()), or null if it prints none.
 */
export async function collectGarbage(child: ChildProcess, settleMs = 500): Promise<NodeJS.MemoryUsage | null> {
  let out = '';
  let listener: (chunk: Buffer) => void = () => {};
  // A collection of a large heap on a loaded machine may take seconds: wait for its line.
  const seen = new Promise<NodeJS.MemoryUsage | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), 30_000);
    listener = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /memory (\{[^\n]*\})\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(JSON.parse(m[1]!) as NodeJS.MemoryUsage);
      }
    };
  });
  child.stdout?.on('data', listener);
  child.kill('SIGUSR2');
  const usage = await Promise.race([seen, sleep(settleMs).then(() => (child.stdout ? seen : null))]);
  child.stdout?.off('data', listener);
  await sleep(settleMs);
  return usage;
}

export const adminUrl = () => process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;

/**
 * The processor, as the bench's header names it: os.cpus() says only "AMD EPYC" on a virtual
 * machine, which does not tell one generation from the next; /proc/cpuinfo's family and model do.
 */
export function cpuName(): string {
  const model = os.cpus()[0]?.model ?? 'cpu';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const family = /^cpu family\s*:\s*(\d+)/m.exec(info)?.[1];
    const number = /^model\s*:\s*(\d+)/m.exec(info)?.[1];
    return family && number ? `${model} (family ${family}, model ${number})` : model;
  } catch {
    return model;
  }
}

/**
 * The PostgreSQL server at `url`: its version and whether a commit waits for the disk (fsync,
 * synchronous_commit), which decides what "durable" costs the committed paths.
 */
export async function postgresSettings(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: string; fsync: string; sync: string }>(
      "select current_setting('server_version') as version, current_setting('fsync') as fsync, current_setting('synchronous_commit') as sync",
    );
    const r = rows[0]!;
    return `PostgreSQL ${r.version} (fsync ${r.fsync}, synchronous_commit ${r.sync})`;
  } finally {
    await client.end();
  }
}

/**
 * A fresh database that server processes can open: a PGlite data directory (the data is written
 * there first, then the server opens it: one process at a time) or a PostgreSQL database.
 * `prepare` fills it through a connection of this process; the answer carries its result.
 */
export async function withDatabase<T, R>(
  engine: Engine,
  prepare: (db: Db) => Promise<T>,
  run: (spec: { url: string; engine: Engine }, prepared: T) => Promise<R>,
): Promise<R> {
  if (engine === 'pglite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'chatpro-bench-'));
    try {
      const database = await openDatabase({ kind: 'pglite', dataDir: dir });
      let prepared: T;
      try {
        prepared = await prepare(database.db);
      } finally {
        await database.close();
      }
      return await run({ url: `pglite:${dir}`, engine }, prepared);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const admin = adminUrl();
  if (!admin) throw new Error('BENCH_DATABASE_URL (or TEST_DATABASE_URL) must name a PostgreSQL admin URL for --engines postgres');
  const name = `chatpro_bench_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  try {
    const u = new URL(admin);
    u.pathname = `/${name}`;
    const database = await openDatabase({ kind: 'postgres', url: u.href });
    let prepared: T;
    try {
      prepared = await prepare(database.db);
    } finally {
      await database.close();
    }
    return await run({ url: u.href, engine }, prepared);
  } finally {
    await client.query(`drop database if exists ${name} with (force)`);
    await client.end();
  }
}

/** The session secret the benchmark's servers sign cookies with (bench/idle.ts signs its own). */
export const BENCH_SESSION_SECRET = 'bench-session-secret-that-is-long-enough-0123456789';

/**
 * A path in bench/results (made if missing, not committed) for `name`; `stamped` puts the time
 * before it, as the runs' JSON files have it.
 */
export function resultsPath(name: string, stamped = false): string {
  const dir = path.join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, stamped ? `${new Date().toISOString().replace(/[:.]/g, '-')}${name}` : name);
}

/**
 * A ChatPro server in its own process on the database `url` names, with npm start's node flags;
 * guest emails far off. BENCH_SERVER_ARGS adds node flags to it (say `--trace-gc
 * --trace-incremental-marking`), and what it prints then goes to bench/results/server-<pid>.log.
 */
export async function benchServer(url: string): Promise<ChildServer> {
  const extra = process.env.BENCH_SERVER_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  const server = await spawnServer(url, {}, { serverEnv: { GUEST_EMAIL_DELAY_MS: '3600000', SESSION_SECRET: BENCH_SESSION_SECRET }, nodeArgs: [...SERVER_NODE_FLAGS, ...extra] });
  if (extra.length) {
    server.child.stdout!.pipe(createWriteStream(resultsPath(`server-${server.child.pid}.log`)));
  }
  return server;
}

/** A socket.io client with a session cookie, connected. */
export async function socketWithCookie(url: string, cookie: string, as?: 'internal' | 'external'): Promise<Socket> {
  const s = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie }, auth: as ? { as } : {} });
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('connect_error', reject);
  });
  return s;
}

/** Runs a bench script in a child process and waits for the first stdout line matching `ready`. */
export async function spawnScript(
  script: string,
  args: string[],
  ready: RegExp,
  opts: { nodeArgs?: string[]; timeoutMs?: number; stdin?: string } = {},
): Promise<{ child: ChildProcess; match: RegExpExecArray; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', path.join(import.meta.dirname, script), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${script} did not get ready: ${out.slice(-500)}`)), opts.timeoutMs ?? 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}: ${out.slice(-500)}`));
    });
  });
  return {
    child,
    match,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
