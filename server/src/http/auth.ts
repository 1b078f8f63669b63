/**
 * Who is calling: the session says it, or for the browser extension a bearer token; these helpers
 * load the actor once per request and refuse the wrong audience.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { Request } from 'express';
import type { Db } from '../db/index.ts';
import { extensionTokens, externalUsers, users } from '../db/schema.ts';
import { bearerToken, hasBearer, hashExtensionToken } from './bearer.ts';
import { unauthenticated } from './errors.ts';

export interface InternalActor {
  kind: 'internal';
  id: string;
  orgId: string;
  email: string;
  name: string;
}
export interface ExternalActor {
  kind: 'external';
  id: string;
  email: string;
  name: string;
  provider: string;
}

const cache = new WeakMap<Request, InternalActor | null>();

export async function currentInternal(db: Db, req: Request): Promise<InternalActor | null> {
  if (cache.has(req)) return cache.get(req)!;
  const bearer = bearerToken(req);
  // A request with a bearer token speaks only as that token, never as the session beside it.
  const id = bearer !== null ? await userOfExtensionToken(db, bearer) : req.session?.userId;
  let actor: InternalActor | null = null;
  if (id) {
    const [row] = await db
      .select({ id: users.id, orgId: users.orgId, email: users.email, name: users.name })
      .from(users)
      .where(eq(users.id, id));
    if (row) actor = { kind: 'internal', ...row };
  }
  cache.set(req, actor);
  return actor;
}

export async function requireInternal(db: Db, req: Request): Promise<InternalActor> {
  const actor = await currentInternal(db, req);
  if (!actor) throw unauthenticated('Sign in as a member of an organisation');
  return actor;
}

export async function currentExternal(db: Db, req: Request): Promise<ExternalActor | null> {
  // Bearer tokens are internal only; such a request never borrows the session's guest.
  const id = hasBearer(req) ? undefined : req.session?.externalUserId;
  if (!id) return null;
  const [row] = await db
    .select({ id: externalUsers.id, email: externalUsers.email, name: externalUsers.name, provider: externalUsers.provider })
    .from(externalUsers)
    .where(eq(externalUsers.id, id));
  return row ? { kind: 'external', ...row } : null;
}

/** The actor of a session: internal when both are present (an internal user testing a link). */
export async function loadActor(db: Db, ids: { userId?: string | undefined; externalUserId?: string | undefined }): Promise<InternalActor | ExternalActor | null> {
  if (ids.userId) {
    const [row] = await db
      .select({ id: users.id, orgId: users.orgId, email: users.email, name: users.name })
      .from(users)
      .where(eq(users.id, ids.userId));
    if (row) return { kind: 'internal', ...row };
  }
  if (ids.externalUserId) {
    const [row] = await db
      .select({ id: externalUsers.id, email: externalUsers.email, name: externalUsers.name, provider: externalUsers.provider })
      .from(externalUsers)
      .where(eq(externalUsers.id, ids.externalUserId));
    if (row) return { kind: 'external', ...row };
  }
  return null;
}

/** A live (not revoked) extension token, marked used; null for anything else. */
export async function liveExtensionToken(db: Db, token: string): Promise<{ id: string; userId: string } | null> {
  if (!token) return null;
  const [row] = await db
    .update(extensionTokens)
    .set({ lastUsedAt: new Date() })
    .where(and(eq(extensionTokens.tokenHash, hashExtensionToken(token)), isNull(extensionTokens.revokedAt)))
    .returning({ id: extensionTokens.id, userId: extensionTokens.userId });
  return row ?? null;
}

export async function userOfExtensionToken(db: Db, token: string): Promise<string | null> {
  return (await liveExtensionToken(db, token))?.userId ?? null;
}
