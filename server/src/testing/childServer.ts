/**
 * A ChatPro server in a process of its own, for tests that kill one (`kill -9`) mid-conversation
 * and for the benchmark (whose memory figures must be the server's alone).
 * Run as a script it starts a test server on the database named by CHATPRO_CHILD_DB (a PostgreSQL
 * URL, or `pglite:<data dir>`) with the settings in CHATPRO_CHILD_ENV (JSON), and prints
 * `listening <url>`; `spawnServer` starts it and waits for that line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildServer {
  url: string;
  child: ChildProcess;
  /** SIGKILL: no shutdown, no goodbye to the sockets or the database. */
  kill(): Promise<void>;
}

const self = fileURLToPath(import.meta.url);

/**
 * @param serverEnv the server's own settings (loadConfig), unlike `env`, the process environment.
 * @param nodeArgs extra node flags (e.g. `--expose-gc`: SIGUSR2 then collects garbage and prints
 *   `memory <JSON>`).
 */
export async function spawnServer(
  databaseUrl: string,
  env: Record<string, string> = {},
  opts: { serverEnv?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<ChildServer> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', self], {
    env: { ...process.env, ...env, CHATPRO_CHILD_DB: databaseUrl, CHATPRO_CHILD_ENV: JSON.stringify(opts.serverEnv ?? {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`child server did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening (\S+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child server exited with ${code}: ${out}`));
    });
  });
  return {
    url,
    child,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

if (process.argv[1] === self) {
  const { startTestServer } = await import('./testServer.ts');
  const db = process.env.CHATPRO_CHILD_DB!;
  const server = await startTestServer(
    db.startsWith('pglite:') ? { kind: 'pglite', dataDir: db.slice('pglite:'.length) } : { kind: 'postgres', url: db },
    JSON.parse(process.env.CHATPRO_CHILD_ENV || '{}') as Record<string, string>,
  );
  // With --expose-gc, SIGUSR2 collects garbage and prints `memory <process.memoryUsage() JSON>`.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc)
    process.on('SIGUSR2', () => {
      gc();
      process.stdout.write(`memory ${JSON.stringify(process.memoryUsage())}\n`);
    });
  process.stdout.write(`listening ${server.url}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
