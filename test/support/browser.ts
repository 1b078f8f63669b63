/**
 * Debian's Chromium driven by playwright-core. A missing Chromium fails the browser tests with a
 * message saying how to install it: a skipped browser test would check nothing.
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

/** Fails with a clear message when Debian's Chromium is not installed. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install it with 'apt-get install -y chromium' (.ci/run does)`);
}

/** Launches Chromium for the web pages (built by `npm test`'s pretest). */
export async function launchBrowser(): Promise<Browser> {
  requireChromium();
  if (!existsSync(path.join(webDist, 'guest.html'))) throw new Error('web/dist is missing: run `npm run build -w web` (npm test does it first)');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}
