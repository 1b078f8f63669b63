import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { missingNodeFlags, SERVER_NODE_FLAGS } from './nodeFlags.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** 500 different queries on a PGlite in memory: enough for V8 to optimize some of PostgreSQL's functions. */
const WORKLOAD = `
const { PGlite } = await import('@electric-sql/pglite');
const db = new PGlite();
for (let i = 0; i < 500; i++) await db.query(\`select \${i} as n, 'x' || \${i} as s where \${i} >= 0\`);
await db.close();
`;

/** How many WebAssembly functions V8's optimizing compiler compiled while PGlite ran WORKLOAD. */
async function optimizedWasmFunctions(nodeArgs: readonly string[]): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeArgs, '--trace-wasm-compilation-times', '--input-type=module', '-e', WORKLOAD], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.split('\n').filter((line) => line.includes('using TurboFan')).length;
}

describe("the server's node flags (nodeFlags.ts)", () => {
  it('are the ones npm start, npm run dev and the bench run node with', () => {
    const scripts = (file: string) => (JSON.parse(readFileSync(path.join(root, file), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const flags = `node ${SERVER_NODE_FLAGS.join(' ')} --import tsx `;
    const { start, dev, bench } = scripts('package.json');
    for (const [name, script] of Object.entries({ start, dev, bench, 'server start': scripts('server/package.json').start })) expect(script, name).to.include(flags);
  });

  it('keep PGlite on the baseline compiler (and without them V8 optimizes it)', async function () {
    this.timeout(60_000);
    expect(await optimizedWasmFunctions(SERVER_NODE_FLAGS)).to.equal(0);
    expect(await optimizedWasmFunctions([])).to.be.above(0);
  });

  it('names those a process started without, on its command line or in NODE_OPTIONS, that matter on its engine', () => {
    expect(missingNodeFlags('pglite', [], '')).to.deep.equal([...SERVER_NODE_FLAGS]);
    expect(missingNodeFlags('pglite', ['--expose_gc', '--no-wasm-tier-up'], '')).to.deep.equal(['--no-wasm-dynamic-tiering']);
    expect(missingNodeFlags('pglite', ['--no-wasm-tier-up', '--no-wasm-dynamic-tiering'], '--max-old-space-size=512 --expose-gc')).to.deep.equal([]);
    // No WebAssembly runs on PostgreSQL: only --expose-gc matters there.
    expect(missingNodeFlags('postgres', [], '')).to.deep.equal(['--expose-gc']);
    expect(missingNodeFlags('postgres', ['--expose-gc'], '')).to.deep.equal([]);
  });
});
