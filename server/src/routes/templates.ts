import { asc, eq } from 'drizzle-orm';
import express, { type Router } from 'express';
import { IdParam, TemplateCreate, TemplateUpdate } from '@chatpro/common';
import type { Db } from '../db/index.ts';
import { noteTemplates } from '../db/schema.ts';
import { requireInternal } from '../http/auth.ts';
import { parse } from '../http/validate.ts';
import { authorizeTemplate } from '../policies/contextPolicy.ts';
import { presentTemplate } from '../presenters/index.ts';

/** Note templates ("modelli di attività"), shared by the organisation. */
export function templateRoutes(db: Db): Router {
  const router = express.Router();

  router.get('/templates', async (req, res) => {
    const actor = await requireInternal(db, req);
    const rows = await db.select().from(noteTemplates).where(eq(noteTemplates.orgId, actor.orgId)).orderBy(asc(noteTemplates.name));
    res.json({ items: rows.map(presentTemplate) });
  });

  router.post('/templates', async (req, res) => {
    const actor = await requireInternal(db, req);
    const input = parse(TemplateCreate, req.body);
    const [row] = await db
      .insert(noteTemplates)
      .values({ ...input, orgId: actor.orgId, createdBy: actor.id })
      .returning();
    res.status(201).json(presentTemplate(row!));
  });

  router.get('/templates/:id', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'template id');
    res.json(presentTemplate(await authorizeTemplate(db, actor, id)));
  });

  router.patch('/templates/:id', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'template id');
    await authorizeTemplate(db, actor, id);
    const input = parse(TemplateUpdate, req.body);
    const [row] = await db
      .update(noteTemplates)
      .set({ ...input, updatedAt: new Date() })
      .where(eq(noteTemplates.id, id))
      .returning();
    res.json(presentTemplate(row!));
  });

  return router;
}
