/**
 * The guest's side, addressed by link token: the page's view, messages, uploads, export. Before
 * sign-in only the subject and state of the link are shown; the body only with "mostra corpo".
 */
import { and, asc, eq, isNull } from 'drizzle-orm';
import express, { type Request, type Router } from 'express';
import { LinkToken, MessageSend, MessagesQuery, type GuestViewDto } from '@chatpro/common';
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { attachments, contexts, messages, organisations } from '../db/schema.ts';
import { currentExternal } from '../http/auth.ts';
import { AppError, unauthenticated } from '../http/errors.ts';
import { parse } from '../http/validate.ts';
import type { Logger } from '../logger.ts';
import { linkClosed } from '../policies/groupPolicy.ts';
import { presentAttachment } from '../presenters/index.ts';
import { isLinkActive } from '../presenters/chat.ts';
import type { ChatService } from '../realtime/chatService.ts';
import type { Hub } from '../realtime/hub.ts';
import { contentDisposition, receiveUploads } from '../services/attachments.ts';
import { findGuestGroup, messagesSince, readGroup } from '../services/chat.ts';
import { exportFileName, streamExport } from '../services/export.ts';
import { recordAccess } from '../services/notifications.ts';
import { sendFile } from './files.ts';
import { sanitizeBody } from '../services/sanitize.ts';

const TokenParam = z.strictObject({ token: LinkToken });

export function guestRoutes(deps: { db: Db; chat: ChatService; hub: Hub; logger: Logger; maxUploadBytes: number }): Router {
  const { db, chat, hub } = deps;
  const router = express.Router();

  async function linkOf(req: Request) {
    const { token } = parse(TokenParam, { token: req.params.token }, 'link');
    return chat.linkForGuest(token);
  }

  async function guestOf(req: Request) {
    const guest = await currentExternal(db, req);
    if (!guest) throw unauthenticated('Accedi per partecipare alla conversazione');
    return guest;
  }

  async function bodyFiles(contextId: string) {
    return db
      .select()
      .from(attachments)
      .where(and(eq(attachments.contextId, contextId), isNull(attachments.messageId), eq(attachments.complete, true)))
      .orderBy(asc(attachments.createdAt));
  }

  router.get('/guest/:token', async (req, res) => {
    const link = await linkOf(req);
    const [org] = await db.select({ name: organisations.name }).from(organisations).where(eq(organisations.id, link.orgId));
    const guest = await currentExternal(db, req);
    const view: GuestViewDto = {
      subject: link.subject,
      active: isLinkActive(link),
      expiresAt: link.expiresAt.toISOString(),
      organisation: org?.name ?? '',
      signedIn: Boolean(guest),
      me: guest ? { id: guest.id, name: guest.name, email: guest.email } : null,
      context: null,
      group: null,
    };
    if (guest) {
      for (const { userId, notification } of await recordAccess(db, link, guest.id)) hub.notify(userId, notification);
      const group = await findGuestGroup(db, link.id, guest.id);
      if (group) view.group = await readGroup(db, group.id);
      const contextId = group?.contextId ?? link.contextId;
      if (link.showBody && contextId) {
        const [context] = await db.select().from(contexts).where(eq(contexts.id, contextId));
        if (context) {
          view.context = {
            kind: context.kind,
            subject: context.subject,
            bodyHtml: sanitizeBody(context.bodyHtml),
            attachments: (await bodyFiles(context.id)).map((a) => ({ ...presentAttachment(a), url: `/api/guest/${link.token}/files/${a.id}` })),
          };
        }
      }
    }
    res.set('Cache-Control', 'no-store').json(view);
  });

  router.get('/guest/:token/messages', async (req, res) => {
    const link = await linkOf(req);
    const guest = await guestOf(req);
    const q = parse(MessagesQuery, req.query, 'query');
    const group = await findGuestGroup(db, link.id, guest.id);
    res.json(group ? await messagesSince(db, group.id, q.since, q.limit) : { messages: [], hasMore: false });
  });

  router.post('/guest/:token/messages', async (req, res) => {
    const link = await linkOf(req);
    const guest = await guestOf(req);
    const body = parse(MessageSend, { ...(req.body as object), linkToken: link.token });
    res.status(201).json(await chat.send(guest, body));
  });

  router.post('/guest/:token/uploads', async (req, res) => {
    const link = await linkOf(req);
    const guest = await guestOf(req);
    if (!isLinkActive(link)) {
      req.resume();
      throw linkClosed();
    }
    const rows = await receiveUploads(db, req, { orgId: link.orgId, uploadedByExternalId: guest.id }, deps.maxUploadBytes);
    res.status(201).json({ attachments: rows.map((a) => ({ ...presentAttachment(a), url: `/api/guest/${link.token}/files/${a.id}` })) });
  });

  /** A file the guest may see: of their group's messages, of the body when shown, or their own upload. */
  router.get('/guest/:token/files/:id', async (req, res) => {
    const link = await linkOf(req);
    const guest = await guestOf(req);
    const { id } = parse(z.strictObject({ id: z.uuid() }), { id: req.params.id }, 'file id');
    const [file] = await db
      .select()
      .from(attachments)
      .where(and(eq(attachments.id, id), eq(attachments.complete, true)));
    const group = await findGuestGroup(db, link.id, guest.id);
    let allowed = false;
    if (file && file.orgId === link.orgId) {
      if (file.uploadedByExternalId === guest.id) allowed = true;
      else if (file.messageId && group) {
        const page = await db.select({ groupId: messages.groupId }).from(messages).where(eq(messages.id, file.messageId));
        allowed = page[0]?.groupId === group.id;
      } else if (!file.messageId && link.showBody && file.contextId === (group?.contextId ?? link.contextId)) allowed = true;
    }
    if (!file || !allowed) throw new AppError(404, 'not_found', 'File not found');
    sendFile(res, db, file);
  });

  router.get('/guest/:token/export', async (req, res) => {
    const link = await linkOf(req);
    const guest = await guestOf(req);
    const group = await findGuestGroup(db, link.id, guest.id);
    if (!group) throw new AppError(404, 'not_found', 'Nessuna conversazione da esportare');
    const [context] = await db.select().from(contexts).where(eq(contexts.id, group.contextId));
    const showBody = link.showBody && context;
    res.set({ 'Content-Type': 'application/zip', 'Content-Disposition': contentDisposition(exportFileName(link.subject)), 'Cache-Control': 'no-store' });
    await streamExport(db, res, {
      groupId: group.id,
      subject: link.subject,
      bodyHtml: showBody ? sanitizeBody(context.bodyHtml) : null,
      bodyFiles: showBody ? (await bodyFiles(context.id)).map((f) => ({ id: f.id, fileName: f.fileName, size: f.size })) : [],
      logger: deps.logger,
    });
  });

  return router;
}
