import { and, eq } from 'drizzle-orm';
import express, { type Router } from 'express';
import { ContextCreate, ContextUpdate, IdParam, PageQuery, Uuid, ViewerAdd } from '@chatpro/common';
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { attachments, contexts } from '../db/schema.ts';
import { requireInternal } from '../http/auth.ts';
import { notFound } from '../http/errors.ts';
import { parse } from '../http/validate.ts';
import { authorizeContext } from '../policies/contextPolicy.ts';
import { presentAttachment } from '../presenters/index.ts';
import { receiveUploads } from '../services/attachments.ts';
import { sendFile } from './files.ts';
import { addViewer, createContext, listContexts, readContext, removeViewer, updateContext } from '../services/contexts.ts';

export function contextRoutes(db: Db, opts: { maxUploadBytes: number }): Router {
  const router = express.Router();

  router.get('/contexts', async (req, res) => {
    const actor = await requireInternal(db, req);
    const page = parse(PageQuery, req.query, 'query');
    res.json(await listContexts(db, actor, page));
  });

  router.post('/contexts', async (req, res) => {
    const actor = await requireInternal(db, req);
    const input = parse(ContextCreate, req.body);
    res.status(201).json(await createContext(db, actor, input));
  });

  router.get('/contexts/:id', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'context id');
    await authorizeContext(db, actor, id);
    res.json(await readContext(db, id));
  });

  router.patch('/contexts/:id', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'context id');
    const context = await authorizeContext(db, actor, id);
    res.json(await updateContext(db, context, parse(ContextUpdate, req.body)));
  });

  router.post('/contexts/:id/viewers', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'context id');
    const context = await authorizeContext(db, actor, id);
    const { userId } = parse(ViewerAdd, req.body);
    res.status(201).json(await addViewer(db, actor, context, userId));
  });

  router.delete('/contexts/:id/viewers/:userId', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id, userId } = parse(z.strictObject({ id: Uuid, userId: Uuid }), req.params, 'path');
    const context = await authorizeContext(db, actor, id);
    res.json(await removeViewer(db, context, userId));
  });

  router.post('/contexts/:id/attachments', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'context id');
    await authorizeContext(db, actor, id);
    const rows = await receiveUploads(db, req, { orgId: actor.orgId, contextId: id, uploadedByUserId: actor.id }, opts.maxUploadBytes);
    await db.update(contexts).set({ lastActivityAt: new Date() }).where(eq(contexts.id, id));
    res.status(201).json({ attachments: rows.map(presentAttachment) });
  });

  router.get('/attachments/:id', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'attachment id');
    const [file] = await db
      .select()
      .from(attachments)
      .where(and(eq(attachments.id, id), eq(attachments.complete, true)));
    if (!file || file.orgId !== actor.orgId) throw notFound('Attachment');
    // A file not yet sent belongs to its uploader alone; any other to the viewers of its context.
    if (!file.contextId) {
      if (file.uploadedByUserId !== actor.id) throw notFound('Attachment');
    } else await authorizeContext(db, actor, file.contextId);
    sendFile(res, db, file);
  });

  return router;
}
