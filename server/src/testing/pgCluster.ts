/**
 * A private PostgreSQL cluster for tests that stop the database under a running server (the
 * shared one of TEST_DATABASE_URL serves other suites and must stay up). `startPgCluster()` runs
 * initdb in a temporary directory and starts it on a free port; `stop()`/`start()` take it down
 * and up again on the same port and data; `destroy()` stops it and removes everything.
 *
 * Binaries: PG_BIN, else the newest /usr/lib/postgresql/<version>/bin. PostgreSQL refuses to run
 * as root: as root the commands run as the `postgres` account (as `.ci/run` does).
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface PgCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** Stops the server (`pg_ctl stop -m fast`: sessions are terminated, new connections refused). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory; resolves once it takes connections. */
  start(): Promise<void>;
  /** The server log, for failure messages. */
  log(): string;
  destroy(): Promise<void>;
}

/** The directory of initdb/pg_ctl, or null when this machine has none. */
export function findPgBin(): string | null {
  const candidates = process.env.PG_BIN ? [process.env.PG_BIN] : [];
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join(root, v, 'bin')));
  }
  return candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl'))) ?? null;
}

/** The message a test fails with when no binaries are found. */
export const NO_PG_BIN =
  'No PostgreSQL server binaries (initdb, pg_ctl): install postgresql (Debian: /usr/lib/postgresql/<version>/bin) or set PG_BIN. ' +
  'The database-outage test needs a private cluster it can stop.';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** As root, the uid/gid of `postgres` (made if missing, like .ci/run); otherwise nothing to change. */
function runAs(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = findPgBin();
  if (!bin) throw new Error(NO_PG_BIN);
  const user = runAs();
  const dir = mkdtempSync(path.join(tmpdir(), 'chatpro-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'log');
  const port = await freePort();
  const run = (tool: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      execFile(path.join(bin, tool), args, { cwd: dir, ...(user ?? {}), timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${tool} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
        else resolve();
      });
    });
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  let running = false;
  const cluster: PgCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      await run('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', '-o', options, 'start']);
      running = true;
    },
    async stop() {
      await run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
      running = false;
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    async destroy() {
      if (running) await run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync']);
    await cluster.start();
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
  return cluster;
}
