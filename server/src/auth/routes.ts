/**
 * Sign-in routes. `/auth/:provider/login` starts the flow and `/auth/:provider/callback` ends it
 * (GET, or POST for Apple's form_post). The flow in flight is kept in the database by state and
 * bound to the browser by a cookie, so a callback URL cannot be replayed elsewhere.
 */
import { createHash, randomBytes } from 'node:crypto';
import { eq, lt } from 'drizzle-orm';
import express, { type Request, type Response, type Router } from 'express';
import * as client from 'openid-client';
import { z } from 'zod';
import { AUDIENCES, LinkToken } from '@chatpro/common';
import type { Db } from '../db/index.ts';
import { authTransactions } from '../db/schema.ts';
import { AppError } from '../http/errors.ts';
import { escapeHtml } from '../http/html.ts';
import type { Logger } from '../logger.ts';
import { resolveInternalUser, upsertExternalUser, type VerifiedIdentity } from '../services/identity.ts';
import type { RelyingParty } from './oidc.ts';
import type { Hub } from '../realtime/hub.ts';
import { sessionRoomKey } from './sessionLifetime.ts';

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    externalUserId?: string;
  }
}

const BINDING_COOKIE = 'chatpro_signin';
const TRANSACTION_TTL_MS = 10 * 60 * 1000;

const LoginQuery = z.object({
  audience: z.enum(AUDIENCES).default('external'),
  returnTo: z.string().max(2000).optional(),
  link: LinkToken.optional(),
});

const hash = (value: string) => createHash('sha256').update(value).digest('base64url');

/** Only same-site paths: never `//host` or `/\host`, which browsers treat as another origin. */
export function safeReturnTo(value: string | undefined, fallback: string): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || /[\r\n]/.test(value)) return fallback;
  return value;
}

export interface AuthRoutesOptions {
  db: Db;
  logger: Logger;
  publicUrl: string;
  secureCookies: boolean;
  relyingParties: Map<string, RelyingParty>;
  hub: Hub;
}

export function authRoutes(opts: AuthRoutesOptions): Router {
  const router = express.Router();
  const callbackUrl = (id: string) => `${opts.publicUrl}/auth/${id}/callback`;

  router.get('/providers', (req, res) => {
    const audience = z.enum(AUDIENCES).catch('external').parse(req.query.audience);
    res.json({
      providers: [...opts.relyingParties.values()]
        .filter((rp) => rp.audiences.includes(audience))
        .map((rp) => ({ id: rp.id, label: rp.label })),
    });
  });

  router.get('/:provider/login', async (req, res) => {
    const rp = opts.relyingParties.get(req.params.provider);
    const query = LoginQuery.safeParse(req.query);
    if (!query.success) throw new AppError(400, 'validation_failed', 'Invalid sign-in request');
    const { audience, link } = query.data;
    if (!rp || !rp.audiences.includes(audience)) {
      throw new AppError(404, 'provider_not_configured', `Sign-in with ${req.params.provider} is not available`);
    }
    const fallback = audience === 'internal' ? '/app' : link ? `/c/${link}` : '/';
    const returnTo = safeReturnTo(query.data.returnTo, fallback);
    const config = await rp.configuration();
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const binding = randomBytes(24).toString('base64url');
    // Forget abandoned sign-ins as we go; there is no need for a separate job.
    await opts.db.delete(authTransactions).where(lt(authTransactions.createdAt, new Date(Date.now() - TRANSACTION_TTL_MS)));
    await opts.db.insert(authTransactions).values({
      state,
      provider: rp.id,
      audience,
      codeVerifier,
      nonce,
      bindingHash: hash(binding),
      returnTo,
      linkToken: link ?? null,
    });
    res.cookie(BINDING_COOKIE, binding, {
      httpOnly: true,
      path: '/auth',
      maxAge: TRANSACTION_TTL_MS,
      // Apple posts the answer from its own site: only SameSite=None cookies come along (HTTPS only).
      sameSite: rp.formPost && opts.secureCookies ? 'none' : 'lax',
      secure: opts.secureCookies,
    });
    const params: Record<string, string> = {
      redirect_uri: callbackUrl(rp.id),
      scope: rp.id === 'apple' ? 'openid email name' : 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    if (rp.formPost) params.response_mode = 'form_post';
    if (rp.id === 'google' || rp.id === 'microsoft') params.prompt = 'select_account';
    res.redirect(302, client.buildAuthorizationUrl(config, params).href);
  });

  const callback = async (req: Request, res: Response) => {
    const rp = opts.relyingParties.get(String(req.params.provider));
    if (!rp) return failure(res, 404, 'Questo metodo di accesso non è disponibile.');
    const params: Record<string, unknown> = req.method === 'POST' ? (req.body as Record<string, unknown>) ?? {} : req.query;
    const state = typeof params.state === 'string' ? params.state : '';
    if (typeof params.error === 'string') {
      return failure(res, 400, `Accesso annullato o rifiutato dal provider (${params.error}).`);
    }
    const [tx] = state ? await opts.db.delete(authTransactions).where(eq(authTransactions.state, state)).returning() : [];
    const binding = req.cookies?.[BINDING_COOKIE] ?? readCookie(req, BINDING_COOKIE);
    res.clearCookie(BINDING_COOKIE, { path: '/auth', httpOnly: true, secure: opts.secureCookies });
    if (!tx || tx.provider !== rp.id || Date.now() - tx.createdAt.getTime() > TRANSACTION_TTL_MS) {
      return failure(res, 400, 'La richiesta di accesso è scaduta o non è valida. Riprova.');
    }
    if (!binding || hash(binding) !== tx.bindingHash) {
      return failure(res, 400, 'La richiesta di accesso è stata avviata in un altro browser. Riprova.');
    }
    let identity: VerifiedIdentity;
    try {
      const config = await rp.configuration();
      const current = new URL(callbackUrl(rp.id));
      let input: URL | globalThis.Request = current;
      if (req.method === 'POST') {
        input = new globalThis.Request(current, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => typeof e[1] === 'string')),
        });
      } else {
        for (const [k, v] of Object.entries(req.query)) if (typeof v === 'string') current.searchParams.set(k, v);
      }
      const tokens = await client.authorizationCodeGrant(config, input, {
        pkceCodeVerifier: tx.codeVerifier,
        expectedState: tx.state,
        expectedNonce: tx.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims()!;
      const email = typeof claims.email === 'string' ? claims.email : '';
      if (!email) return failure(res, 400, 'Il provider non ha fornito un indirizzo email.');
      identity = {
        provider: rp.id,
        subject: claims.sub,
        email,
        emailVerified: claims.email_verified === true || claims.email_verified === 'true',
        name: typeof claims.name === 'string' ? claims.name : appleName(params.user) ?? email,
      };
    } catch (err) {
      opts.logger.warn({ err, provider: rp.id }, 'sign-in failed');
      return failure(res, 400, 'Non è stato possibile completare l’accesso. Riprova.');
    }
    let session: { userId?: string; externalUserId?: string };
    try {
      session =
        tx.audience === 'internal'
          ? { userId: (await resolveInternalUser(opts.db, identity)).id }
          : { externalUserId: (await upsertExternalUser(opts.db, identity)).id };
    } catch (err) {
      if (err instanceof AppError && err.code === 'not_a_member') {
        return failure(res, 403, `L’account ${identity.email} non appartiene a nessuna organizzazione su ChatPro.`);
      }
      throw err;
    }
    // A new session id at every sign-in defeats session fixation.
    const previous = { userId: req.session.userId, externalUserId: req.session.externalUserId };
    await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
    Object.assign(req.session, previous, session, { signedInAt: Date.now() });
    await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
    opts.logger.info({ provider: rp.id, audience: tx.audience }, 'signed in');
    res.redirect(303, tx.returnTo);
  };
  router.get('/:provider/callback', callback);
  router.post('/:provider/callback', express.urlencoded({ extended: false, limit: '20kb' }), callback);

  router.post('/logout', async (req, res) => {
    const sid = req.sessionID;
    await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
    // Its sockets go too, on every process (their room travels through the adapter).
    if (sid) opts.hub.sessionEnded(sessionRoomKey(sid));
    res.clearCookie('chatpro.sid', { path: '/', httpOnly: true, sameSite: 'lax', secure: opts.secureCookies });
    res.status(204).end();
  });
  return router;
}

function readCookie(req: Request, name: string): string | undefined {
  const header = req.get('cookie') ?? '';
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/** Apple sends the name only once, as JSON in the form field `user`. */
function appleName(user: unknown): string | undefined {
  if (typeof user !== 'string') return undefined;
  try {
    const parsed = JSON.parse(user) as { name?: { firstName?: string; lastName?: string } };
    const name = [parsed.name?.firstName, parsed.name?.lastName].filter(Boolean).join(' ');
    return name || undefined;
  } catch {
    return undefined;
  }
}

function failure(res: Response, status: number, message: string): void {
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html lang="it"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Accesso non riuscito · ChatPro</title><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem"><h1>Accesso non riuscito</h1><p data-testid="sign-in-error">${escapeHtml(message)}</p></body></html>`,
    );
}
