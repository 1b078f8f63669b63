export { startServer, SESSION_COOKIE, type RunningServer } from './server.ts';
export { loadConfig, ConfigError, type Config } from './env.ts';
export { openDatabase, type Database, type Db } from './db/index.ts';
export * as schema from './db/schema.ts';
