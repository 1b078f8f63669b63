/**
 * Debian's Chromium driven by playwright-core. Missing Chromium fails the run when CI is set
 * (never a silent skip); on a developer machine the browser tests are skipped with a message.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const artifacts = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../artifacts');
export const webDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

export function artifactPath(name: string): string {
  mkdirSync(artifacts, { recursive: true });
  return path.join(artifacts, name);
}

/** Launches Chromium, or skips (locally) / fails (CI) with a clear message when it is missing. */
export async function launchBrowser(ctx: Mocha.Context): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    const message = `Chromium not found at ${CHROMIUM}: install it with 'apt-get install -y chromium'`;
    if (process.env.CI) throw new Error(message);
    console.warn(`    skipped: ${message}`);
    ctx.skip();
  }
  if (!existsSync(path.join(webDist, 'guest.html'))) throw new Error('web/dist is missing: run `npm run build -w web` (npm test does it first)');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}
