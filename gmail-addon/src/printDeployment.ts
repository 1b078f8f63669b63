/** Prints deployment.json for a public URL: `npm run deployment -w gmail-addon -- --url https://chat.example.com`. */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { deploymentJson } from './deployment.ts';

const { values } = parseArgs({ options: { url: { type: 'string' }, out: { type: 'string' } } });
const url = values.url ?? process.env.PUBLIC_URL;
if (!url) {
  console.error('usage: npm run deployment -w gmail-addon -- --url https://chat.example.com [--out deployment.json]');
  process.exit(2);
}
try {
  const json = `${JSON.stringify(deploymentJson(url), null, 2)}\n`;
  if (values.out) writeFileSync(values.out, json);
  else process.stdout.write(json);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
