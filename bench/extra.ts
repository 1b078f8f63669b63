/**
 * The benchmark's measurements beyond the send path, each against its target from issue 9:
 * resume after an absence, export, idle guest sockets, cross-process delivery. bench/run.ts runs
 * them after the send path; run alone, this prints the same table and writes its own JSON:
 *
 *   node --import tsx bench/extra.ts --quick --engines pglite,postgres
 *
 * `--only export` (a comma list of resume, export, idle, cross-process) runs only those.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { measureCrossProcess } from './crossProcess.ts';
import { measureExport } from './export.ts';
import { measureIdle } from './idle.ts';
import { MiB, resultsPath, type Engine, type Figure } from './lib.ts';
import { measureResume } from './resume.ts';

export type { Figure };

export const MEASURES = ['resume', 'export', 'idle', 'cross-process'] as const;
export type Measure = (typeof MEASURES)[number];

export async function measureOthers(opts: { engines: Engine[]; quick: boolean; only?: Measure[]; log?: (line: string) => void }): Promise<Figure[]> {
  const q = opts.quick;
  const log = opts.log ?? ((line: string) => console.error(line));
  const figures: Figure[] = [];
  const step = async (label: string, fn: () => Promise<Figure[]>) => {
    if (opts.only && !opts.only.some((m) => label.endsWith(` ${m}`) || (m === 'idle' && label.endsWith(' idle sockets')))) return;
    const start = performance.now();
    log(`bench: ${label}…`);
    try {
      figures.push(...(await fn()));
    } catch (err) {
      // One measurement failing must not cost the others: it is a row that says so.
      log(`bench: ${label} failed: ${(err as Error).stack ?? String(err)}`);
      figures.push({ engine: label.startsWith('postgres') ? 'postgres' : 'pglite', measure: label, value: null, unit: '', target: '', pass: false, detail: `failed: ${(err as Error).message}` });
    }
    log(`bench: ${label} took ${Math.round((performance.now() - start) / 1000)} s`);
  };
  for (const engine of opts.engines) {
    await step(`${engine} resume`, () => measureResume(engine, { missed: 1000, offlineMs: q ? 2000 : 30_000, reconnects: q ? 3 : 5 }));
    await step(`${engine} export`, () => measureExport(engine, { messages: q ? 1000 : 10_000, attachmentBytes: (q ? 20 : 200) * MiB, runs: 2 }));
    await step(`${engine} idle sockets`, () => measureIdle(engine, { sockets: q ? 500 : 10_000 }));
    if (engine === 'postgres') await step(`${engine} cross-process`, () => measureCrossProcess({ pairs: q ? 10 : 20, rate: q ? 100 : 500, durationMs: q ? 2000 : 10_000 }));
  }
  return figures;
}

/** The figures as a Markdown table: value, target, pass/fail, and how each was obtained. */
export function figureTable(figures: Figure[]): string {
  const header = ['engine', 'measure', 'value', 'target', 'result', 'detail'];
  const rows = figures.map((f) => [f.engine, f.measure, f.value === null ? '—' : `${f.value} ${f.unit}`.trim(), f.target, f.pass === null ? 'n/a' : f.pass ? 'PASS' : 'FAIL', f.detail]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === 5 ? 0 : r[i]!.length))));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 5 ? c : c.padEnd(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => '-'.repeat(i === 5 ? 8 : w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: args } = parseArgs({ options: { engines: { type: 'string', default: 'pglite,postgres' }, quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
  const engines = args.engines.split(',') as Engine[];
  const only = args.only?.split(',') as Measure[] | undefined;
  const unknown = only?.filter((m) => !MEASURES.includes(m));
  if (unknown?.length) throw new Error(`--only takes ${MEASURES.join(', ')}; not ${unknown.join(', ')}`);
  const start = performance.now();
  const figures = await measureOthers({ engines, quick: args.quick, only });
  console.log(`\n${figureTable(figures)}\n`);
  const file = resultsPath('-extra.json', true);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), args: { engines, quick: args.quick, only }, seconds: Math.round((performance.now() - start) / 1000), figures }, null, 2));
  console.log(`wrote ${file}`);
  process.exit(0);
}
