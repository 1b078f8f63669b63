/** The Express application: middleware in the order a request meets it. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express, type RequestHandler } from 'express';
import type { Database } from './db/index.ts';
import { redactUrl, type Logger } from './logger.ts';
import type { Limits } from './http/rateLimit.ts';
import type { SessionLifetime } from './auth/sessionLifetime.ts';
import { csrfProtection } from './http/csrf.ts';
import { cspHeader } from './http/csp.ts';
import { refuseNul } from './http/validate.ts';
import { apiNotFound, errorMiddleware } from './http/errorMiddleware.ts';
import { DATABASE_RETRY_AFTER_S, databaseUnavailable } from './http/errors.ts';
import { authRoutes } from './auth/routes.ts';
import type { RelyingParty } from './auth/oidc.ts';
import type { DevProvider } from './auth/devProvider.ts';
import { DEV_PROVIDER_PATH } from './auth/devProvider.ts';
import { contextRoutes } from './routes/contexts.ts';
import { templateRoutes } from './routes/templates.ts';
import { meRoutes } from './routes/me.ts';
import { chatRoutes } from './routes/chat.ts';
import { guestRoutes } from './routes/guest.ts';
import { workspaceRoutes } from './routes/workspace.ts';
import { outlookAddinRoutes } from './routes/outlookAddin.ts';
import type { ChatService } from './realtime/chatService.ts';
import type { Hub } from './realtime/hub.ts';
import { createGmailAddonRouter, GMAIL_ADDON_PATH } from '@chatpro/gmail-addon';
import { createGmailPorts } from './addons/gmailPorts.ts';
import type { GmailAddonConfig } from './env.ts';
import type { Mail } from './mail/index.ts';
import { mailRoutes, unsubscribeRoutes } from './routes/mail.ts';
import { extensionApiRoutes, extensionConnectRoutes } from './routes/extension.ts';

export interface AppDeps {
  database: Database;
  logger: Logger;
  publicUrl: string;
  trustProxy: boolean | number | string;
  maxUploadBytes: number;
  sessionMiddleware: RequestHandler;
  relyingParties: Map<string, RelyingParty>;
  devProvider: DevProvider | null;
  chat: ChatService;
  hub: Hub;
  gmailAddon?: GmailAddonConfig | null;
  mail: Mail;
  limits: Limits;
  sessionLifetime: SessionLifetime;
}

export const webDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');

export function createApp(deps: AppDeps): Express {
  const { database, logger } = deps;
  const db = database.db;
  const app = express();
  app.set('trust proxy', deps.trustProxy);
  app.disable('x-powered-by');
  // One debug line per request, with its URL's tokens redacted.
  app.use((req, res, next) => {
    if (!logger.isLevelEnabled('debug')) return next();
    const started = performance.now();
    res.once('finish', () => logger.debug({ method: req.method, url: redactUrl(req.originalUrl), status: res.statusCode, ms: Math.round(performance.now() - started) }, 'request'));
    next();
  });
  app.use((_req, res, next) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      // ChatPro links carry their token in the path: never send it to other sites as a referrer.
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'SAMEORIGIN',
    });
    next();
  });
  app.use(cspHeader);

  // Answers within the ping's timeout (2 s) even when the database does not answer at all.
  app.get('/healthz', async (_req, res) => {
    const up = await database.ping();
    res.set('Cache-Control', 'no-store');
    if (up) return void res.json({ status: 'ok', database: database.kind });
    const { code, message } = databaseUnavailable();
    res.status(503).set('Retry-After', String(DATABASE_RETRY_AFTER_S)).json({ status: 'unavailable', database: database.kind, error: { code, message } });
  });

  if (deps.devProvider) app.use(DEV_PROVIDER_PATH, deps.devProvider.router);
  // Works without signing in: the signed token is the authority.
  app.use(unsubscribeRoutes(db, deps.mail));

  // Gmail add-on: Google calls these with its own ID tokens; no session, no CSRF cookie involved.
  if (deps.gmailAddon) {
    const ports = createGmailPorts({ db, chat: deps.chat, hub: deps.hub, publicUrl: deps.publicUrl });
    app.use(GMAIL_ADDON_PATH, createGmailAddonRouter(ports, { ...deps.gmailAddon, publicUrl: deps.publicUrl, logger }));
  }

  app.use(deps.sessionMiddleware);
  app.use(deps.sessionLifetime.middleware());
  // Abuse limits (per IP and per user), before the routes they guard.
  const { limits } = deps;
  app.use(['/c/:token', '/api/guest/:token'], limits.linkGuard());
  app.use(['/auth/:provider/login', '/auth/:provider/callback'], limits.http('signIn'));
  app.use(['/api/groups/:id/messages', '/api/guest/:token/messages', '/api/contexts/:id/send-email', '/api/contexts/:id/send-invitation'], limits.http('send', ['POST']));
  app.use(['/api/uploads', '/api/guest/:token/uploads', '/api/contexts/:id/attachments'], limits.http('uploads', ['POST']));
  const secureCookies = deps.publicUrl.startsWith('https://');
  const origin = new URL(deps.publicUrl).origin;
  const csrf = csrfProtection(() => origin);
  app.post('/auth/logout', csrf);
  app.use('/auth', authRoutes({ db, logger, publicUrl: deps.publicUrl, secureCookies, relyingParties: deps.relyingParties, hub: deps.hub }));
  app.use(extensionConnectRoutes(db, deps.relyingParties));

  const api = express.Router();
  api.use(csrf);
  api.use(express.json({ limit: '3mb' }), refuseNul);
  api.use(meRoutes(db));
  api.use(contextRoutes(db, { maxUploadBytes: deps.maxUploadBytes }));
  api.use(templateRoutes(db));
  const chatDeps = { db, chat: deps.chat, hub: deps.hub, logger, publicUrl: deps.publicUrl, maxUploadBytes: deps.maxUploadBytes };
  api.use(chatRoutes(chatDeps));
  api.use(guestRoutes(chatDeps));
  api.use(workspaceRoutes(chatDeps));
  api.use(mailRoutes(db, deps.mail));
  api.use(extensionApiRoutes(db, deps.hub));
  api.use(apiNotFound);
  app.use('/api', api);

  if (existsSync(webDist)) {
    app.use('/assets', express.static(path.join(webDist, 'assets'), { immutable: true, maxAge: '1y' }));
    const page = (file: string): RequestHandler => (_req, res) => res.sendFile(path.join(webDist, file));
    app.get('/', page('index.html'));
    app.get(['/app', '/app/{*rest}'], page('app.html'));
    app.get('/c/:token', page('guest.html'));
  }
  // The Outlook add-in: its pages and its manifests for this server's public URL.
  app.use('/addins/outlook', outlookAddinRoutes({ publicUrl: deps.publicUrl }));

  app.use(errorMiddleware(logger));
  return app;
}
