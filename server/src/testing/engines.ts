/**
 * Runs a suite on every database engine: PGlite always, and PostgreSQL when TEST_DATABASE_URL
 * names a server (CI sets it). Each suite gets a fresh database of its own, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DatabaseOptions } from '../db/index.ts';

export interface EngineContext {
  engine: 'pglite' | 'postgres';
  /** Options for a fresh, empty database; valid inside the suite's hooks and tests. */
  options(): DatabaseOptions;
}

function adminUrl(): string | undefined {
  const url = process.env.TEST_DATABASE_URL;
  if (!url && process.env.CI) {
    throw new Error('CI is set but TEST_DATABASE_URL is not: the PostgreSQL tests cannot run. .ci/run must start PostgreSQL.');
  }
  return url;
}

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function describeEngines(title: string, body: (engine: EngineContext) => void): void {
  describe(`${title} [pglite]`, () => {
    body({ engine: 'pglite', options: () => ({ kind: 'pglite', dataDir: null }) });
  });
  const admin = adminUrl();
  if (!admin) return;
  describe(`${title} [postgres]`, () => {
    let url = '';
    let name = '';
    before(async () => {
      name = `chatpro_test_${randomBytes(6).toString('hex')}`;
      await withAdmin(admin, (c) => c.query(`create database ${name}`));
      const u = new URL(admin);
      u.pathname = `/${name}`;
      url = u.href;
    });
    body({ engine: 'postgres', options: () => ({ kind: 'postgres', url }) });
    // Registered after the suite's own hooks, so that its servers are closed before the drop.
    after(async () => {
      if (name) await withAdmin(admin, (c) => c.query(`drop database if exists ${name} with (force)`));
    });
  });
}
