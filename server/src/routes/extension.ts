/**
 * Browser extension sign-in: `/extension/connect` turns an internal session into a revocable
 * bearer token handed to the extension in the URL fragment of its own redirect URL (never a
 * password, never a web site); the API side lists and revokes tokens.
 */
import { and, desc, eq, isNull } from 'drizzle-orm';
import express, { type Router } from 'express';
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { extensionTokens } from '../db/schema.ts';
import { currentInternal, requireInternal } from '../http/auth.ts';
import { bearerToken, hashExtensionToken, newExtensionToken } from '../http/bearer.ts';
import { AppError, unauthenticated } from '../http/errors.ts';
import { escapeHtml } from '../http/html.ts';
import type { RelyingParty } from '../auth/oidc.ts';
import type { Hub } from '../realtime/hub.ts';

/**
 * Where a token may be sent: the redirect URLs of `identity.launchWebAuthFlow` (Chrome, Firefox)
 * or a page of the extension itself. Any other URL could hand the token to a web site.
 */
const EXTENSION_REDIRECTS = [
  /^https:\/\/[a-p]{32}\.chromiumapp\.org\/[^#]*$/,
  /^https:\/\/[0-9a-f-]{32,40}\.extensions\.allizom\.org\/[^#]*$/,
  /^chrome-extension:\/\/[a-p]{32}\/[^#]*$/,
  /^moz-extension:\/\/[0-9a-f-]{36}\/[^#]*$/,
];

export function isExtensionRedirect(value: string): boolean {
  return value.length <= 500 && EXTENSION_REDIRECTS.some((re) => re.test(value));
}

const ConnectQuery = z.object({
  redirect: z.string().refine(isExtensionRedirect, 'not an extension redirect URL'),
  name: z.string().trim().min(1).max(100).default('Estensione del browser'),
  provider: z.string().max(40).optional(),
});

export function extensionConnectRoutes(db: Db, relyingParties: Map<string, RelyingParty>): Router {
  const router = express.Router();

  router.get('/extension/connect', async (req, res) => {
    const query = ConnectQuery.safeParse(req.query);
    if (!query.success) throw new AppError(400, 'validation_failed', 'Invalid extension redirect URL');
    const actor = await currentInternal(db, req);
    if (!actor) {
      // Sign in first, then come back here with the same query.
      const providers = [...relyingParties.values()].filter((rp) => rp.audiences.includes('internal'));
      const login = (id: string) => `/auth/${encodeURIComponent(id)}/login?audience=internal&returnTo=${encodeURIComponent(req.originalUrl)}`;
      const chosen = providers.find((rp) => rp.id === query.data.provider) ?? (providers.length === 1 ? providers[0] : undefined);
      if (chosen) return res.redirect(302, login(chosen.id));
      if (providers.length === 0) throw new AppError(404, 'provider_not_configured', 'No sign-in provider for members');
      return res
        .type('html')
        .send(
          `<!doctype html><html lang="it"><meta charset="utf-8"><title>Collega l’estensione · ChatPro</title><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem"><h1>Accedi per collegare l’estensione</h1>` +
            providers.map((rp) => `<p><a data-provider="${escapeHtml(rp.id)}" href="${escapeHtml(login(rp.id))}">Accedi con ${escapeHtml(rp.label)}</a></p>`).join('') +
            `</body></html>`,
        );
    }
    const token = newExtensionToken();
    await db.insert(extensionTokens).values({ userId: actor.id, tokenHash: hashExtensionToken(token), name: query.data.name });
    res.set('Cache-Control', 'no-store');
    res.redirect(302, `${query.data.redirect}#token=${encodeURIComponent(token)}`);
  });

  return router;
}

export function extensionApiRoutes(db: Db, hub: Hub): Router {
  const router = express.Router();

  router.get('/extension/tokens', async (req, res) => {
    const actor = await requireInternal(db, req);
    const rows = await db
      .select()
      .from(extensionTokens)
      .where(and(eq(extensionTokens.userId, actor.id), isNull(extensionTokens.revokedAt)))
      .orderBy(desc(extensionTokens.createdAt));
    res.json({
      items: rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.createdAt.toISOString(), lastUsedAt: r.lastUsedAt?.toISOString() ?? null })),
    });
  });

  /** Sign-out of the extension: revokes the very token that calls. */
  router.delete('/extension/token', async (req, res) => {
    const token = bearerToken(req);
    if (!token) throw unauthenticated('Call with the extension token to revoke');
    const actor = await requireInternal(db, req);
    const revoked = await db
      .update(extensionTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(extensionTokens.tokenHash, hashExtensionToken(token)), eq(extensionTokens.userId, actor.id)))
      .returning({ id: extensionTokens.id });
    for (const row of revoked) hub.extensionTokenRevoked(row.id);
    res.status(204).end();
  });

  return router;
}
