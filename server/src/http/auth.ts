/**
 * Who is calling: the session says it; these helpers load the actor once per request and refuse
 * the wrong audience.
 */
import { eq } from 'drizzle-orm';
import type { Request } from 'express';
import type { Db } from '../db/index.ts';
import { externalUsers, users } from '../db/schema.ts';
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
  const id = req.session?.userId;
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
  const id = req.session?.externalUserId;
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
