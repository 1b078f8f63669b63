/**
 * A ChatPro server in a process of its own, for tests that kill one (`kill -9`) mid-conversation.
 * Run as a script it starts a test server on the PostgreSQL database named by CHATPRO_CHILD_DB
 * and prints `listening <url>`; `spawnServer` starts it and waits for that line.
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

export async function spawnServer(databaseUrl: string, env: Record<string, string> = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', self], {
    env: { ...process.env, ...env, CHATPRO_CHILD_DB: databaseUrl },
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
  const server = await startTestServer({ kind: 'postgres', url: process.env.CHATPRO_CHILD_DB! });
  process.stdout.write(`listening ${server.url}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
