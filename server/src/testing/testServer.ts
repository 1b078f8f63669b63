/** Starts a real ChatPro server on port 0 for a test, on the database the engine gives. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DatabaseOptions } from '../db/index.ts';
import { loadConfig } from '../env.ts';
import { startServer, type RunningServer } from '../server.ts';
import type { Logger } from '../logger.ts';

/**
 * Abuse limits far above anything a test (or the benchmark: 1,000 clients on one address) does;
 * tests of the limits pass low ones explicitly.
 */
export const GENEROUS_LIMITS: Record<string, string> = {
  RATE_LIMIT_LINK_PER_IP: '100000000',
  RATE_LIMIT_LINK_PER_USER: '100000000',
  RATE_LIMIT_SIGNIN_PER_IP: '100000000',
  RATE_LIMIT_SEND_PER_IP: '100000000',
  RATE_LIMIT_SEND_PER_USER: '100000000',
  RATE_LIMIT_UPLOAD_PER_IP: '100000000',
  RATE_LIMIT_UPLOAD_PER_USER: '100000000',
  SOCKET_EVENTS_PER_SECOND: '100000',
  SOCKET_EVENT_BURST: '100000',
};

export async function startTestServer(database: DatabaseOptions, env: Record<string, string> = {}, logger?: Logger): Promise<RunningServer> {
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
    ...GENEROUS_LIMITS,
    ...env,
  });
  config.database = database;
  return startServer(config, logger);
}
