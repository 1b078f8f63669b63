/**
 * The flags node runs the server with: `npm start`, `npm run dev` and the bench's servers (a test
 * checks that package.json's scripts say the same).
 *
 * - `--expose-gc`: young-generation collections paced by the bytes of files streamed (memory.ts).
 * - `--no-wasm-tier-up --no-wasm-dynamic-tiering`: the embedded database (PGlite, PostgreSQL
 *   compiled to WebAssembly) stays on V8's baseline compiler. When one of PostgreSQL's functions got
 *   hot enough, V8's optimizing compiler took 0.6 s and 600 MB to compile it (one function of
 *   100 KB, `--trace-wasm-compilation-times`), once per process at a moment nobody chooses: the
 *   server's RSS went from 300 to 950 MiB and back, enough to have a small machine's kernel kill it.
 *   On the baseline code the send path cost about 5 % more CPU per message (1,014-1,103 µs against
 *   950-1,051 at 500 msg/s, two runs each), the highest rate sustained varied more from run to run
 *   than between the two (1,000-1,750 against 450-1,250 msg/s), the server held 80-110 MiB less,
 *   and the first read of 200 MiB of files took 0.4 s instead of 0.7. A long statement pays more:
 *   the notifications of 64 messages took 6.1 ms instead of 4.0 (2026-12-07, a script on its own).
 *   On PostgreSQL, where no WebAssembly runs, they change nothing.
 */
export const SERVER_NODE_FLAGS = ['--expose-gc', '--no-wasm-tier-up', '--no-wasm-dynamic-tiering'] as const;

/** The flags that only matter where WebAssembly runs: on PGlite. */
const PGLITE_ONLY: ReadonlySet<string> = new Set(['--no-wasm-tier-up', '--no-wasm-dynamic-tiering']);

/**
 * Those of SERVER_NODE_FLAGS that matter on `engine` and that this process did not start with (on
 * its command line or in NODE_OPTIONS).
 */
export function missingNodeFlags(engine: 'pglite' | 'postgres', execArgv = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map((f) => f.replace(/_/g, '-')));
  return SERVER_NODE_FLAGS.filter((f) => !given.has(f) && (engine === 'pglite' || !PGLITE_ONLY.has(f)));
}
