/** Internal side of the chat: links, groups, messages, uploads, export, notifications. */
import { and, asc, eq, isNull } from 'drizzle-orm';
import express, { type Router } from 'express';
import { IdParam, LinkCreate, LinkUpdate, MessageSend, MessagesQuery, Uuid } from '@chatpro/common';
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { attachments, chatLinks, contexts } from '../db/schema.ts';
import { requireInternal } from '../http/auth.ts';
import { notFound } from '../http/errors.ts';
import { parse } from '../http/validate.ts';
import type { Logger } from '../logger.ts';
import { authorizeContext, authorizeTemplate } from '../policies/contextPolicy.ts';
import { presentAttachment } from '../presenters/index.ts';
import type { ChatService } from '../realtime/chatService.ts';
import type { Hub } from '../realtime/hub.ts';
import { receiveUploads } from '../services/attachments.ts';
import { listGroups, markRead, messagesSince } from '../services/chat.ts';
import { contentDisposition } from '../services/attachments.ts';
import { exportFileName, streamExport } from '../services/export.ts';
import { sanitizeBody } from '../services/sanitize.ts';
import { createLink, listLinks, presentLinks, updateLink } from '../services/links.ts';
import { listNotifications, markNotificationsRead } from '../services/notifications.ts';

export interface ChatRouteDeps {
  db: Db;
  chat: ChatService;
  hub: Hub;
  logger: Logger;
  publicUrl: string;
  maxUploadBytes: number;
}

export function chatRoutes(deps: ChatRouteDeps): Router {
  const { db, chat, hub, publicUrl } = deps;
  const router = express.Router();

  // ChatPro links on a context ("Attiva conversazione esterna") and on a template ("Genera").
  router.get('/contexts/:id/links', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'context id');
    await authorizeContext(db, actor, id);
    res.json({ items: await listLinks(db, { contextId: id }, publicUrl) });
  });

  router.post('/contexts/:id/links', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'context id');
    const context = await authorizeContext(db, actor, id);
    const change = await createLink(db, actor, { contextId: id, subject: context.subject }, parse(LinkCreate, req.body), publicUrl);
    if (change.audit) hub.message(change.audit);
    res.status(201).json(change.link);
  });

  router.get('/templates/:id/links', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'template id');
    await authorizeTemplate(db, actor, id);
    res.json({ items: await listLinks(db, { templateId: id }, publicUrl) });
  });

  router.post('/templates/:id/links', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'template id');
    const template = await authorizeTemplate(db, actor, id);
    const change = await createLink(db, actor, { templateId: id, subject: template.subject }, parse(LinkCreate, req.body), publicUrl);
    res.status(201).json(change.link);
  });

  async function authorizeLink(actor: Awaited<ReturnType<typeof requireInternal>>, id: string) {
    const [link] = await db.select().from(chatLinks).where(eq(chatLinks.id, id));
    if (!link || link.orgId !== actor.orgId) throw notFound('Link');
    if (link.contextId) await authorizeContext(db, actor, link.contextId);
    else await authorizeTemplate(db, actor, link.templateId!);
    return link;
  }

  router.get('/links/:id', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'link id');
    const [dto] = await presentLinks(db, [await authorizeLink(actor, id)], publicUrl);
    res.json(dto);
  });

  router.patch('/links/:id', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'link id');
    const link = await authorizeLink(actor, id);
    const change = await updateLink(db, actor, link, parse(LinkUpdate, req.body), publicUrl);
    if (change.audit) hub.message(change.audit);
    hub.link(change.link);
    res.json(change.link);
  });

  // Groups and messages.
  router.get('/contexts/:id/groups', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'context id');
    await authorizeContext(db, actor, id);
    res.json({ items: await listGroups(db, id) });
  });

  router.get('/groups/:id/messages', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'group id');
    const q = parse(MessagesQuery, req.query, 'query');
    const access = await chat.access(actor, id);
    res.json(await messagesSince(db, access.group.id, q.since, q.limit));
  });

  router.post('/groups/:id/messages', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'group id');
    const body = parse(MessageSend, { ...(req.body as object), groupId: id });
    res.status(201).json(await chat.send(actor, body));
  });

  router.post('/groups/:id/read', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'group id');
    const { seq } = parse(z.strictObject({ seq: z.number().int().min(0) }), req.body);
    const access = await chat.access(actor, id);
    res.json({ seq: await markRead(db, access.group.id, actor, seq) });
  });

  router.get('/groups/:id/export', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'group id');
    const access = await chat.access(actor, id);
    const [context] = await db.select().from(contexts).where(eq(contexts.id, access.group.contextId));
    const bodyFiles = await db
      .select({ id: attachments.id, fileName: attachments.fileName, size: attachments.size })
      .from(attachments)
      .where(and(eq(attachments.contextId, context!.id), eq(attachments.complete, true), isNull(attachments.messageId)))
      .orderBy(asc(attachments.createdAt));
    res.set({ 'Content-Type': 'application/zip', 'Content-Disposition': contentDisposition(exportFileName(context!.subject)), 'Cache-Control': 'no-store' });
    await streamExport(db, res, { groupId: access.group.id, subject: context!.subject, bodyHtml: sanitizeBody(context!.bodyHtml), bodyFiles, logger: deps.logger });
  });

  // Files for a message not yet sent: stored as the uploader's, claimed by the message.
  router.post('/uploads', async (req, res) => {
    const actor = await requireInternal(db, req);
    const rows = await receiveUploads(db, req, { orgId: actor.orgId, uploadedByUserId: actor.id }, deps.maxUploadBytes);
    res.status(201).json({ attachments: rows.map(presentAttachment) });
  });

  // Notifications in the message list.
  router.get('/notifications', async (req, res) => {
    const actor = await requireInternal(db, req);
    const q = parse(
      z.strictObject({
        unread: z.enum(['0', '1', 'true', 'false']).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        before: z.iso.datetime().optional(),
      }),
      req.query,
      'query',
    );
    res.json(await listNotifications(db, actor.id, { unreadOnly: q.unread === '1' || q.unread === 'true', limit: q.limit, before: q.before }));
  });

  router.post('/notifications/read', async (req, res) => {
    const actor = await requireInternal(db, req);
    const which = parse(
      z.union([z.strictObject({ id: Uuid }), z.strictObject({ contextId: Uuid }), z.strictObject({ all: z.literal(true) })]),
      req.body,
    );
    res.json({ marked: await markNotificationsRead(db, actor.id, which) });
  });

  return router;
}
