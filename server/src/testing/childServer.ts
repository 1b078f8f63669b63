/**
 * A ChatPro server in a process of its own, for tests that kill one (`kill -9`) mid-conversation
 * or measure its event loop apart from the test's clients, and for the benchmark (whose memory
 * figures must be the server's alone).
 * Run as a script it starts a test server on the database named by CHATPRO_CHILD_DB (a PostgreSQL
 * URL, or `pglite:<data dir>`) with the settings in CHATPRO_CHILD_ENV (JSON), and prints
 * `listening <url>`; `spawnServer` starts it and waits for that line. Over the IPC channel the
 * child answers its event-loop delay (perf_hooks.monitorEventLoopDelay) since the last reset.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** The child's event-loop delay, in milliseconds. */
export interface LoopLag {
  p50: number;
  p99: number;
  max: number;
}

type ParentMessage = { type: 'lag:reset' } | { type: 'lag:read' };
type ChildMessage = { type: 'lag'; lag: LoopLag };

export interface ChildServer {
  url: string;
  child: ChildProcess;
  /** SIGKILL: no shutdown, no goodbye to the sockets or the database. */
  kill(): Promise<void>;
  /** Starts measuring the event-loop delay afresh. */
  resetLag(): void;
  /** The event-loop delay since the last reset. */
  lag(): Promise<LoopLag>;
}

const self = fileURLToPath(import.meta.url);

/**
 * @param env the child's process environment (added to ours)
 * @param opts.serverEnv the server's own settings (as startTestServer's `env`: PORT, SMTP_URL...)
 * @param opts.nodeArgs extra node flags (e.g. `--expose-gc`: SIGUSR2 then collects garbage and prints
 *   `memory <JSON>`).
 */
export async function spawnServer(
  databaseUrl: string,
  env: Record<string, string> = {},
  opts: { serverEnv?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<ChildServer> {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', self], {
    env: { ...process.env, ...env, CHATPRO_CHILD_DB: databaseUrl, CHATPRO_CHILD_ENV: JSON.stringify(opts.serverEnv ?? {}) },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  // The IPC channel must not keep the test process alive.
  child.channel?.unref();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let started = false;
    const timer = setTimeout(() => reject(new Error(`child server did not start: ${out}`)), 60_000);
    // Reads on after the start so that the child never blocks on a full pipe, but keeps nothing:
    // a server run with --trace-gc prints for as long as it runs.
    child.stdout!.on('data', (chunk: Buffer) => {
      if (started) return;
      out += chunk.toString();
      const m = /listening (\S+)\n/.exec(out);
      if (m) {
        started = true;
        out = '';
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
    resetLag: () => void child.send({ type: 'lag:reset' } satisfies ParentMessage),
    lag: () =>
      new Promise<LoopLag>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the child server did not answer its event-loop lag')), 10_000);
        const onMessage = (m: ChildMessage) => {
          if (m?.type !== 'lag') return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(m.lag);
        };
        child.on('message', onMessage);
        child.send({ type: 'lag:read' } satisfies ParentMessage);
      }),
  };
}

if (process.argv[1] === self) {
  const { startTestServer } = await import('./testServer.ts');
  const db = process.env.CHATPRO_CHILD_DB!;
  const server = await startTestServer(
    db.startsWith('pglite:') ? { kind: 'pglite', dataDir: db.slice('pglite:'.length) } : { kind: 'postgres', url: db },
    JSON.parse(process.env.CHATPRO_CHILD_ENV || '{}') as Record<string, string>,
  );
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const ms = (ns: number) => Math.round((ns / 1e6) * 10) / 10;
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'lag:reset') delay.reset();
    if (m.type === 'lag:read') {
      const lag = { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) };
      process.send?.({ type: 'lag', lag } satisfies ChildMessage);
    }
  });
  process.channel?.unref();
  // The parent gone (its IPC channel closed), nobody would stop this server.
  process.once('disconnect', () => void server.close().then(() => process.exit(0)));
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
