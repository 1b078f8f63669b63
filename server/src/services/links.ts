/**
 * ChatPro links ("configurazione Chat Pro") on a context or a template. Every change is audited:
 * an audit entry and, on a context, a system message in its public discussion naming who
 * changed what.
 */
import { randomBytes } from 'node:crypto';
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { LinkCreate, LinkDto, LinkUpdate, MessageDto } from '@chatpro/common';
import type { Db, Tx } from '../db/index.ts';
import { auditEntries, chatLinkNotify, chatLinks, contexts, users } from '../db/schema.ts';
import { badRequest, notFound } from '../http/errors.ts';
import type { InternalActor } from '../http/auth.ts';
import { isLinkActive, presentLink, type LinkRow } from '../presenters/chat.ts';
import { systemMessage } from './chat.ts';
import { expiryFromInput, formatDate } from './time.ts';

const DAY_MS = 24 * 3600 * 1000;

/** 144 random bits, URL-safe. */
export const newLinkToken = () => randomBytes(18).toString('base64url');

export async function findLinkByToken(db: Db | Tx, token: string): Promise<LinkRow | null> {
  const [row] = await db.select().from(chatLinks).where(eq(chatLinks.token, token));
  return row ?? null;
}

async function notifyIdsOf(db: Db | Tx, linkIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>(linkIds.map((id) => [id, []]));
  if (linkIds.length === 0) return map;
  const rows = await db.select().from(chatLinkNotify).where(inArray(chatLinkNotify.linkId, linkIds));
  for (const r of rows) map.get(r.linkId)!.push(r.userId);
  return map;
}

export async function presentLinks(db: Db | Tx, rows: LinkRow[], publicUrl: string): Promise<LinkDto[]> {
  const notify = await notifyIdsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => presentLink(r, notify.get(r.id)!, publicUrl));
}

export async function listLinks(db: Db, owner: { contextId?: string; templateId?: string }, publicUrl: string): Promise<LinkDto[]> {
  const where = owner.contextId ? eq(chatLinks.contextId, owner.contextId) : eq(chatLinks.templateId, owner.templateId!);
  const rows = await db.select().from(chatLinks).where(where).orderBy(asc(chatLinks.createdAt));
  return presentLinks(db, rows, publicUrl);
}

async function assertOrgUsers(db: Db | Tx, orgId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  const found = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.orgId, orgId), inArray(users.id, ids)));
  if (found.length !== new Set(ids).size) throw badRequest('Some users to notify are not members of your organisation');
}

async function userNames(db: Db | Tx, ids: string[]): Promise<string> {
  if (ids.length === 0) return 'tutti i visualizzatori';
  const rows = await db.select({ name: users.name }).from(users).where(inArray(users.id, ids)).orderBy(asc(users.name));
  return rows.map((r) => r.name).join(', ');
}

export interface LinkChange {
  link: LinkDto;
  /** The audit message written into the context's public discussion, to broadcast. */
  audit: MessageDto | null;
}

async function audit(
  tx: Tx,
  actor: InternalActor,
  link: LinkRow,
  action: string,
  changes: Record<string, unknown>,
  text: string,
): Promise<MessageDto | null> {
  let message: MessageDto | null = null;
  if (link.contextId) {
    message = await systemMessage(tx, link.contextId, text);
    await tx.update(contexts).set({ lastActivityAt: new Date() }).where(eq(contexts.id, link.contextId));
  }
  await tx.insert(auditEntries).values({
    orgId: link.orgId,
    contextId: link.contextId,
    templateId: link.templateId,
    linkId: link.id,
    actorUserId: actor.id,
    action,
    changes,
    messageId: message?.id ?? null,
  });
  return message;
}

/** "Attiva conversazione esterna" / "Genera": a new link with the user's default expiry. */
export async function createLink(
  db: Db,
  actor: InternalActor,
  owner: { contextId: string; subject: string } | { templateId: string; subject: string },
  input: LinkCreate,
  publicUrl: string,
): Promise<LinkChange> {
  await assertOrgUsers(db, actor.orgId, input.notifyUserIds);
  const [profile] = await db.select().from(users).where(eq(users.id, actor.id));
  const days = 'templateId' in owner ? profile!.templateChatExpiryDays : profile!.chatExpiryDays;
  const expiresAt = input.expiresAt ? expiryFromInput(input.expiresAt) : new Date(Date.now() + days * DAY_MS);
  return db.transaction(async (tx) => {
    const [link] = await tx
      .insert(chatLinks)
      .values({
        token: newLinkToken(),
        orgId: actor.orgId,
        contextId: 'contextId' in owner ? owner.contextId : null,
        templateId: 'templateId' in owner ? owner.templateId : null,
        subject: input.subject ?? owner.subject,
        showBody: input.showBody,
        expiresAt,
        createdBy: actor.id,
      })
      .returning();
    const notify = [...new Set(input.notifyUserIds)];
    if (notify.length) await tx.insert(chatLinkNotify).values(notify.map((userId) => ({ linkId: link!.id, userId })));
    const message = await audit(
      tx,
      actor,
      link!,
      'link.created',
      { subject: link!.subject, showBody: link!.showBody, expiresAt: expiresAt.toISOString(), notifyUserIds: notify },
      `${actor.name} ha attivato la conversazione esterna «${link!.subject}» (scadenza ${formatDate(expiresAt)}, notifica: ${await userNames(tx, notify)}).`,
    );
    return { link: presentLink(link!, notify, publicUrl), audit: message };
  });
}

export async function updateLink(db: Db, actor: InternalActor, link: LinkRow, input: LinkUpdate, publicUrl: string): Promise<LinkChange> {
  if (input.notifyUserIds) await assertOrgUsers(db, actor.orgId, input.notifyUserIds);
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(chatLinks).where(eq(chatLinks.id, link.id)).for('update');
    if (!before) throw notFound('Link');
    const oldNotify = (await notifyIdsOf(tx, [link.id])).get(link.id)!;
    const lines: string[] = [];
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    const set: Partial<typeof chatLinks.$inferInsert> = {};
    if (input.subject !== undefined && input.subject !== before.subject) {
      set.subject = input.subject;
      changes.subject = { from: before.subject, to: input.subject };
      lines.push(`l’oggetto da «${before.subject}» a «${input.subject}»`);
    }
    if (input.showBody !== undefined && input.showBody !== before.showBody) {
      set.showBody = input.showBody;
      changes.showBody = { from: before.showBody, to: input.showBody };
      lines.push(input.showBody ? 'mostra corpo: sì' : 'mostra corpo: no');
    }
    if (input.expiresAt !== undefined) {
      const expiresAt = expiryFromInput(input.expiresAt);
      if (expiresAt.getTime() !== before.expiresAt.getTime()) {
        set.expiresAt = expiresAt;
        changes.expiresAt = { from: before.expiresAt.toISOString(), to: expiresAt.toISOString() };
        lines.push(
          `la scadenza dal ${formatDate(before.expiresAt)} al ${formatDate(expiresAt)}${isLinkActive({ expiresAt }) ? '' : ' (chat chiusa)'}`,
        );
      }
    }
    let newNotify = oldNotify;
    if (input.notifyUserIds !== undefined) {
      const next = [...new Set(input.notifyUserIds)];
      if (next.length !== oldNotify.length || next.some((id) => !oldNotify.includes(id))) {
        newNotify = next;
        await tx.delete(chatLinkNotify).where(eq(chatLinkNotify.linkId, link.id));
        if (next.length) await tx.insert(chatLinkNotify).values(next.map((userId) => ({ linkId: link.id, userId })));
        changes.notifyUserIds = { from: oldNotify, to: next };
        lines.push(`gli utenti da notificare in: ${await userNames(tx, next)}`);
      }
    }
    if (lines.length === 0) return { link: presentLink(before, oldNotify, publicUrl), audit: null };
    const [after] = await tx
      .update(chatLinks)
      .set({ ...set, updatedAt: new Date() })
      .where(eq(chatLinks.id, link.id))
      .returning();
    const message = await audit(tx, actor, after!, 'link.updated', changes, `${actor.name} ha modificato la conversazione esterna «${after!.subject}»: ${lines.join('; ')}.`);
    return { link: presentLink(after!, newNotify, publicUrl), audit: message };
  });
}
