/** Starts a real ChatPro server on port 0 for a test, on the database the engine gives. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DatabaseOptions } from '../db/index.ts';
import { loadConfig } from '../env.ts';
import { startServer, type RunningServer } from '../server.ts';

export async function startTestServer(database: DatabaseOptions, env: Record<string, string> = {}): Promise<RunningServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chatpro-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DEV_IDP: 'true',
    DEMO_DATA: 'false',
    SESSION_SECRET: 'test-session-secret-that-is-long-enough-0123456789',
    ...env,
  });
  config.database = database;
  return startServer(config);
}
