/** The workspace's group actions and templates made from notes. */

import express, { type Router } from 'express';
import { GroupCreate, GroupMerge, IdParam, MemberAdd, TemplateFromContext } from '@chatpro/common';
import type { Db } from '../db/index.ts';
import { noteTemplates } from '../db/schema.ts';
import { requireInternal } from '../http/auth.ts';
import { badRequest } from '../http/errors.ts';
import { parse } from '../http/validate.ts';
import { authorizeContext } from '../policies/contextPolicy.ts';
import { presentTemplate } from '../presenters/index.ts';
import type { ChatService } from '../realtime/chatService.ts';
import type { Hub } from '../realtime/hub.ts';
import { addExternalMember, createInternalGroup, externalCandidates, mergeGroups, type GroupChange } from '../services/groups.ts';

export function workspaceRoutes(deps: { db: Db; chat: ChatService; hub: Hub }): Router {
  const { db, chat, hub } = deps;
  const router = express.Router();

  const announce = (change: GroupChange) => {
    hub.message(change.audit);
    if (change.merged.length) hub.merged(change.merged);
    hub.group(change.group);
  };

  router.post('/contexts/:id/groups', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'context id');
    await authorizeContext(db, actor, id);
    const change = await createInternalGroup(db, actor, id, parse(GroupCreate, req.body));
    announce(change);
    res.status(201).json(change.group);
  });

  router.post('/contexts/:id/groups/merge', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'context id');
    await authorizeContext(db, actor, id);
    const change = await mergeGroups(db, actor, id, parse(GroupMerge, req.body).groupIds);
    announce(change);
    res.json({ group: change.group, merged: change.merged });
  });

  router.get('/contexts/:id/externals', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'context id');
    await authorizeContext(db, actor, id);
    res.json({ items: await externalCandidates(db, id) });
  });

  router.post('/groups/:id/members', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'group id');
    const access = await chat.access(actor, id);
    const { externalUserId } = parse(MemberAdd, req.body);
    const change = await addExternalMember(db, actor, access.group.id, access.group.contextId, externalUserId);
    announce(change);
    res.status(201).json(change.group);
  });

  // "Salva come modello": a note becomes a template of the organisation.
  router.post('/contexts/:id/template', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'context id');
    const context = await authorizeContext(db, actor, id);
    if (context.kind !== 'note') throw badRequest('Only a note can be saved as a template');
    const { name } = parse(TemplateFromContext, req.body);
    const [row] = await db
      .insert(noteTemplates)
      .values({ orgId: actor.orgId, name, subject: context.subject, bodyHtml: context.bodyHtml, createdBy: actor.id })
      .returning();
    res.status(201).json(presentTemplate(row!));
  });

  return router;
}
