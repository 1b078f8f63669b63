/**
 * Who may see and change a context. One place decides; routes and socket handlers call it.
 * A context of another organisation answers 404 (its existence is not revealed); a context of
 * the caller's organisation that they do not view answers 403.
 */
import { and, eq } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.ts';
import { contexts, contextViewers, noteTemplates } from '../db/schema.ts';
import { forbidden, notFound } from '../http/errors.ts';
import type { InternalActor } from '../http/auth.ts';

export type ContextRow = typeof contexts.$inferSelect;

export async function isViewer(db: Db | Tx, userId: string, contextId: string): Promise<boolean> {
  const [row] = await db
    .select({ userId: contextViewers.userId })
    .from(contextViewers)
    .where(and(eq(contextViewers.contextId, contextId), eq(contextViewers.userId, userId)));
  return Boolean(row);
}

/** Returns the context when the actor views it; every viewer may also change it. */
export async function authorizeContext(db: Db | Tx, actor: InternalActor, contextId: string): Promise<ContextRow> {
  const [context] = await db.select().from(contexts).where(eq(contexts.id, contextId));
  if (!context || context.orgId !== actor.orgId) throw notFound('Context');
  if (!(await isViewer(db, actor.id, contextId))) throw forbidden('You are not a viewer of this context');
  return context;
}

/** Templates are shared by the whole organisation. */
export async function authorizeTemplate(db: Db | Tx, actor: InternalActor, templateId: string) {
  const [template] = await db.select().from(noteTemplates).where(eq(noteTemplates.id, templateId));
  if (!template || template.orgId !== actor.orgId) throw notFound('Template');
  return template;
}
