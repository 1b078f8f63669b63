import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../server/src/nodeFlags.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function run(env: Record<string, string>, nodeArgs: readonly string[] = []): { child: ChildProcess; output: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'server/src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      if (signal) out += `\n[killed by ${signal}]`;
      resolve(code);
    }),
  );
  return { child, output: () => out, exit };
}

async function waitFor(predicate: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the server process', function () {
  this.timeout(120_000);
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'chatpro-proc-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses to start in production with missing or wrong variables, naming each one', async () => {
    const proc = run({ NODE_ENV: 'production', DATA_DIR: dataDir, PORT: 'not-a-port', DEV_IDP: 'true' });
    const code = await proc.exit;
    expect(code).to.equal(1);
    for (const name of ['PORT', 'SESSION_SECRET', 'PUBLIC_URL', 'DEV_IDP']) expect(proc.output()).to.include(name);
  });

  it('says so and exits 1 when its port is taken', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, resolve));
    try {
      const port = (busy.address() as net.AddressInfo).port;
      const proc = run({ DATA_DIR: dataDir, PORT: String(port) });
      expect(await proc.exit, proc.output()).to.equal(1);
      expect(proc.output()).to.include(`Port ${port} is already in use`);
    } finally {
      busy.close();
    }
  });

  it('starts on the embedded defaults with demo data, answers /healthz, and stops cleanly on SIGTERM', async () => {
    // As npm start runs it.
    const proc = run({ DATA_DIR: dataDir, PORT: '0' }, SERVER_NODE_FLAGS);
    try {
      await waitFor(() => /running at (http:\S+)/.test(proc.output()), 60_000);
      const url = /running at (http:\S+)/.exec(proc.output())![1]!;
      expect(proc.output()).to.include('piero.fanti@tweppy-demo.test');
      expect(proc.output()).not.to.include('node runs without');
      const health = await fetch(`${url}/healthz`);
      expect(health.status).to.equal(200);
      expect(await health.json()).to.deep.equal({ status: 'ok', database: 'pglite' });
      proc.child.kill('SIGTERM');
      expect(await proc.exit, proc.output()).to.equal(0);
    } finally {
      proc.child.kill('SIGKILL');
    }
    // Data stays: a second start finds the demo organisation and does not seed again. Started
    // without npm start's flags, it says which are missing.
    const again = run({ DATA_DIR: dataDir, PORT: '0' });
    try {
      await waitFor(() => /running at (http:\S+)/.test(again.output()) && again.output().includes('node runs without'), 60_000);
      expect(again.output()).to.include(`node runs without ${SERVER_NODE_FLAGS.join(' ')}, which npm start passes`);
      again.child.kill('SIGINT');
      expect(await again.exit, again.output()).to.equal(0);
    } finally {
      again.child.kill('SIGKILL');
    }
  });
});
