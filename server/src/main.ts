/** Entry point of `npm start`: read the configuration, start, and stop cleanly on a signal. */
import { ConfigError, loadConfig } from './env.ts';
import { missingNodeFlags } from './nodeFlags.ts';
import { DEMO_USERS } from './services/demo.ts';
import { startServer } from './server.ts';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

// Signals are heard from the first moment: one that arrives while starting stops right after.
let stopping = false;
const running: { server?: Awaited<ReturnType<typeof startServer>> } = {};
const stop = () => {
  if (stopping) return;
  stopping = true;
  if (!running.server) return; // startServer's continuation below sees `stopping`
  running.server.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

let server: Awaited<ReturnType<typeof startServer>>;
try {
  server = await startServer(config);
} catch (err) {
  if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`Port ${config.port} is already in use: stop what runs there, or start ChatPro with PORT=<another port>.`);
    process.exit(1);
  }
  throw err;
}
running.server = server;
if (stopping) {
  stopping = false;
  stop();
}
const lines = [
  '',
  `  ChatPro is running at ${server.url}`,
  `  Workspace:  ${server.url}/app`,
  `  Health:     ${server.url}/healthz`,
];
if (config.devIdp) {
  lines.push(
    '  Sign in with the development identity provider (no password):',
    ...DEMO_USERS.map((u) => `    ${u.name.padEnd(16)} ${u.email}`),
    '  or, as a guest, with any email address on a ChatPro link.',
  );
}
lines.push('');
console.log(lines.join('\n'));
// Started some other way than npm start: say what that costs (see nodeFlags.ts).
const missing = missingNodeFlags(config.database.kind);
if (missing.length) {
  console.warn(`  node runs without ${missing.join(' ')}, which npm start passes (see server/src/nodeFlags.ts): files streamed leave more garbage for longer${config.database.kind === 'pglite' ? ", and V8's optimizing compiler may take 600 MB for a moment to compile the embedded database" : ''}.\n`);
}
