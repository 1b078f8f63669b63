/**
 * The development identity provider: a real OpenID Connect provider (oidc-provider) mounted on
 * the server itself, so that a newcomer and the tests can sign in with no cloud credentials.
 * Anyone may sign in as one of the organisation's internal users or as any email address.
 * Refused when NODE_ENV=production (env.ts).
 */
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import express, { type Router } from 'express';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { users } from '../db/schema.ts';
import { escapeHtml } from '../http/html.ts';

export const DEV_PROVIDER_PATH = '/dev-oidc';
export const DEV_CLIENT_ID = 'chatpro-dev';

export interface DevProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  router: Router;
}

const LoginForm = z.strictObject({
  email: z.email().max(320).transform((e) => e.toLowerCase()),
  name: z.string().trim().max(200).optional(),
});

type Payload = Record<string, unknown> & { uid?: string; userCode?: string; grantId?: string };

/** Storage of the development provider's artefacts: in memory, by design (dev only, one process). */
class MemoryAdapter {
  private static store = new Map<string, { payload: Payload; expiresAt: number }>();
  constructor(private readonly model: string) {}
  private key(id: string) {
    return `${this.model}:${id}`;
  }
  async upsert(id: string, payload: Payload, expiresIn: number) {
    MemoryAdapter.store.set(this.key(id), { payload, expiresAt: Date.now() + expiresIn * 1000 });
  }
  async find(id: string) {
    const entry = MemoryAdapter.store.get(this.key(id));
    if (!entry || entry.expiresAt < Date.now()) return undefined;
    return entry.payload;
  }
  async findByUid(uid: string) {
    for (const [k, v] of MemoryAdapter.store) if (k.startsWith(`${this.model}:`) && v.payload.uid === uid) return v.payload;
    return undefined;
  }
  async findByUserCode(code: string) {
    for (const [k, v] of MemoryAdapter.store) if (k.startsWith(`${this.model}:`) && v.payload.userCode === code) return v.payload;
    return undefined;
  }
  async consume(id: string) {
    const entry = MemoryAdapter.store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id: string) {
    MemoryAdapter.store.delete(this.key(id));
  }
  async revokeByGrantId(grantId: string) {
    for (const [k, v] of MemoryAdapter.store) if (v.payload.grantId === grantId) MemoryAdapter.store.delete(k);
  }
  static sweep() {
    const now = Date.now();
    for (const [k, v] of MemoryAdapter.store) if (v.expiresAt < now) MemoryAdapter.store.delete(k);
  }
}
setInterval(() => MemoryAdapter.sweep(), 60_000).unref();

export async function createDevProvider(opts: { publicUrl: string; db: Db; trustProxy: boolean }): Promise<DevProvider> {
  const issuer = `${opts.publicUrl}${DEV_PROVIDER_PATH}`;
  const clientSecret = randomBytes(24).toString('base64url');
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'dev-1', use: 'sig', alg: 'RS256' };
  // Names typed on the login page, by email; the dev provider keeps no other state.
  const names = new Map<string, string>();

  const configuration: Configuration = {
    adapter: MemoryAdapter,
    clients: [
      {
        client_id: DEV_CLIENT_ID,
        client_secret: clientSecret,
        redirect_uris: [`${opts.publicUrl}/auth/dev/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false,
    ttl: { Interaction: 600, Session: 8 * 3600, Grant: 8 * 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `${DEV_PROVIDER_PATH}/interaction/${interaction.uid}` },
    // First-party client: grant the requested scopes without a consent screen.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({ sub, email: sub, email_verified: true, name: names.get(sub) ?? sub.split('@')[0] ?? sub }),
    }),
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><meta charset="utf-8"><title>Errore</title><p>${escapeHtml(String(out.error))}: ${escapeHtml(String(out.error_description ?? ''))}</p>`;
    },
  };
  const provider = new Provider(issuer, configuration);
  provider.proxy = opts.trustProxy;

  const router = express.Router();
  router.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      const internal = await opts.db.select({ email: users.email, name: users.name }).from(users).orderBy(users.name).limit(50);
      res.type('html').send(loginPage(details.uid, internal));
    } catch (err) {
      providerError(err, res, next);
    }
  });
  router.post('/interaction/:uid/login', express.urlencoded({ extended: false, limit: '10kb' }), async (req, res, next) => {
    try {
      const form = LoginForm.safeParse(req.body);
      if (!form.success) {
        res.status(400).type('html').send('<!doctype html><meta charset="utf-8"><p>Indirizzo email non valido.</p>');
        return;
      }
      if (form.data.name) names.set(form.data.email, form.data.name);
      else {
        const [known] = await opts.db.select({ name: users.name }).from(users).where(eq(users.email, form.data.email));
        if (known) names.set(form.data.email, known.name);
      }
      await provider.interactionFinished(req, res, { login: { accountId: form.data.email } }, { mergeWithLastSubmission: false });
    } catch (err) {
      providerError(err, res, next);
    }
  });
  router.use(provider.callback());
  return { issuer, clientId: DEV_CLIENT_ID, clientSecret, router };
}

/** oidc-provider's own errors (an unknown or expired interaction) are the visitor's: 4xx, not 500. */
function providerError(err: unknown, res: express.Response, next: express.NextFunction): void {
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status !== 'number' || status >= 500) return next(err);
  res
    .status(status)
    .type('html')
    .send(`<!doctype html><meta charset="utf-8"><title>Errore</title><p>${escapeHtml((err as { error_description?: string }).error_description ?? 'Richiesta non valida')}</p>`);
}

function loginPage(uid: string, internal: { email: string; name: string }[]): string {
  const action = `${DEV_PROVIDER_PATH}/interaction/${encodeURIComponent(uid)}/login`;
  const buttons = internal
    .map(
      (u) => `<form method="post" action="${action}"><input type="hidden" name="email" value="${escapeHtml(u.email)}">
        <button type="submit" data-email="${escapeHtml(u.email)}">${escapeHtml(u.name)} <small>${escapeHtml(u.email)}</small></button></form>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="it"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Provider di sviluppo · ChatPro</title>
<style>
  body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#1f2937}
  h1{font-size:1.25rem} .note{color:#6b7280;font-size:.9rem}
  button{width:100%;margin:.25rem 0;padding:.6rem;border:1px solid #d1d5db;border-radius:.5rem;background:#fff;text-align:left;cursor:pointer}
  button small{color:#6b7280;margin-left:.5rem} input{width:100%;padding:.5rem;margin:.25rem 0;box-sizing:border-box}
  .primary{background:#2563eb;color:#fff;text-align:center;border:0}
</style></head>
<body>
<h1>Provider di identità di sviluppo</h1>
<p class="note">Solo per prove locali: nessuna password. In produzione si accede con Google, Microsoft o Apple.</p>
<h2>Utenti interni</h2>
${buttons || '<p class="note">Nessun utente interno.</p>'}
<h2>Qualsiasi indirizzo</h2>
<form method="post" action="${action}" id="any-email">
  <label>Email <input type="email" name="email" required autocomplete="email"></label>
  <label>Nome <input type="text" name="name" autocomplete="name"></label>
  <button type="submit" class="primary">Accedi</button>
</form>
</body></html>`;
}
