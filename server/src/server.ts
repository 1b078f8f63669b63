/**
 * Starts ChatPro: database, HTTP, socket.io, sign-in providers. `close()` shuts everything down
 * in order (sockets, HTTP, database) and is what SIGINT/SIGTERM call.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import session from 'express-session';
import { Server as SocketServer } from 'socket.io';
import { AFTER_DELAY_MS, ChatService, PGLITE_AFTER_DELAY_MS } from './realtime/chatService.ts';
import { installAdapter } from './realtime/adapter.ts';
import { Hub, type ChatServer } from './realtime/hub.ts';
import { registerSocketHandlers } from './realtime/socket.ts';
import { createApp } from './app.ts';
import { createDevProvider } from './auth/devProvider.ts';
import { createDevRelyingParty, createRelyingParty, ownOrigin, type RelyingParty } from './auth/oidc.ts';
import { DbSessionStore } from './auth/sessionStore.ts';
import { openDatabase, type Database } from './db/index.ts';
import type { Config } from './env.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMail, type Mail } from './mail/index.ts';
import { streamedFiles } from './memory.ts';
import { seedDemoData } from './services/demo.ts';
import { batchExecutor } from './services/sendBatch.ts';
import { clientIpOf, Limits } from './http/rateLimit.ts';
import { SessionLifetime } from './auth/sessionLifetime.ts';

export const SESSION_COOKIE = 'chatpro.sid';

export interface RunningServer {
  url: string;
  /** The Express application (its router stack lists every endpoint). */
  app: Express;
  port: number;
  database: Database;
  io: ChatServer;
  chat: ChatService;
  mail: Mail;
  logger: Logger;
  seeded: boolean;
  close(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const database = await openDatabase(config.database);
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
    res.end(JSON.stringify({ error: { code: 'database_unavailable', message: 'Starting up' } }));
  };
  const http = createServer((req, res) => handler(req, res));
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await database.close();
    throw err;
  }
  const port = (http.address() as AddressInfo).port;
  const url = config.publicUrl ?? `http://localhost:${port}`;

  const seeded = config.demoData ? await seedDemoData(database.db) : false;

  const relyingParties = new Map<string, RelyingParty>();
  for (const p of config.providers) relyingParties.set(p.id, createRelyingParty(p));
  const devProvider = config.devIdp ? await createDevProvider({ publicUrl: url, db: database.db, trustProxy: Boolean(config.trustProxy) }) : null;
  if (devProvider) relyingParties.set('dev', createDevRelyingParty(devProvider.issuer, devProvider.clientId, devProvider.clientSecret, ownOrigin(config.host, port)));

  const store = new DbSessionStore(database.db);
  const sessionMiddleware = session({
    name: SESSION_COOKIE,
    secret: config.sessionSecret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    proxy: Boolean(config.trustProxy),
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: url.startsWith('https://'),
      // Rolling: the idle timeout; the absolute one is SessionLifetime's.
      maxAge: config.session.idleTimeoutMs,
    },
  });
  const sessionLifetime = new SessionLifetime(config.session, store);
  const limits = new Limits(config.limits);
  const io: ChatServer = new SocketServer(http, {
    cors: { origin: new URL(url).origin, credentials: true },
    serveClient: false,
    // A bigger packet closes the connection (the client sees a transport error).
    maxHttpBufferSize: config.limits.socket.maxPayloadBytes,
  });
  // The session is read once per socket, when it connects (not at every long-polling request),
  // with a response object of its own that nothing keeps: the socket holds only the identity
  // (see realtime/socket.ts), which matters with thousands of idle guests.
  io.use((socket, next) => {
    sessionMiddleware(socket.request as Parameters<typeof sessionMiddleware>[0], {} as Parameters<typeof sessionMiddleware>[1], (err?: unknown) =>
      next(err ? (err instanceof Error ? err : new Error(String(err))) : undefined),
    );
  });
  let cluster;
  try {
    cluster = await installAdapter(io, database, logger);
  } catch (err) {
    await io.close().catch(() => {});
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await database.close();
    throw err;
  }
  const hub = new Hub(io, cluster.clustered);
  const mail = createMail(config.mail, { db: database.db, hub, logger, publicUrl: url });
  // PGlite runs one query at a time: one batch in flight, the next one grows meanwhile. On
  // PostgreSQL a batch costs least per message at 32–64 messages and more past that (58–75 µs a
  // message at 64, 77–91 at 256, 400 groups): under overload, batches of 256 made each message
  // dearer just when the database was busiest, so they stop at 64. Four run at once, one per lane
  // (a group's lane is fixed: two batches at once never share a group, see SendBatcher).
  const chat = new ChatService(database.db, hub, logger, mail.notifier, {
    maxInFlight: database.kind === 'pglite' ? 1 : 4,
    maxBatch: database.kind === 'pglite' ? 256 : 64,
    afterDelayMs: database.kind === 'pglite' ? PGLITE_AFTER_DELAY_MS : AFTER_DELAY_MS,
    execute: batchExecutor(database),
  });
  registerSocketHandlers(io, { db: database.db, chat, hub, logger, limits, lifetime: sessionLifetime, ipOf: clientIpOf(config.trustProxy) });
  try {
    await mail.start(chat, config.maxUploadBytes);
  } catch (err) {
    // The inbound listener could not listen (a port in use): undo what started, then fail.
    await mail.close();
    await io.close().catch(() => {});
    await new Promise<void>((resolve) => http.close(() => resolve()));
    store.stop();
    await database.close();
    throw err;
  }

  const app = createApp({
    database,
    logger,
    publicUrl: url,
    trustProxy: config.trustProxy,
    maxUploadBytes: config.maxUploadBytes,
    sessionMiddleware,
    relyingParties,
    devProvider,
    chat,
    hub,
    gmailAddon: config.gmailAddon,
    mail,
    limits,
    sessionLifetime,
  });
  handler = app;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      logger.info('shutting down');
      store.stop();
      cluster.close();
      // No new connections, and the sockets here go: their clients reconnect (to another process,
      // if there is one).
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      io.local.disconnectSockets(true);
      // No new replies by email; then the work after the sends already taken, while the adapter is
      // still there: the offline emails ask the other processes whose guests they hold (closed, it
      // would hear no answer, and those emails would be lost after a timeout).
      await mail.stopInbound();
      await chat.settle();
      await io.close().catch(() => {});
      http.closeIdleConnections();
      const force = setTimeout(() => http.closeAllConnections(), 5_000);
      force.unref();
      await stopped;
      clearTimeout(force);
      // Then the worker, then the database.
      await mail.close();
      await database.close();
    })();
    return closing;
  };
  // pacedCollections: false when node runs without --expose-gc (see memory.ts).
  logger.info({ url, database: database.kind, pacedCollections: streamedFiles.enabled }, 'ChatPro listening');
  return { url, port, app, database, io, chat, mail, logger, seeded, close };
}
