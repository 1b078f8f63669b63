import { asc, eq } from 'drizzle-orm';
import express, { type Router } from 'express';
import { ProfileOptionsUpdate, type MeDto, type ProfileOptionsDto } from '@chatpro/common';
import type { Db } from '../db/index.ts';
import { organisations, users } from '../db/schema.ts';
import { currentExternal, currentInternal, requireInternal } from '../http/auth.ts';
import { parse } from '../http/validate.ts';
import { presentUser } from '../presenters/index.ts';

const presentOptions = (u: typeof users.$inferSelect): ProfileOptionsDto => ({
  chatExpiryDays: u.chatExpiryDays,
  templateChatExpiryDays: u.templateChatExpiryDays,
  locale: u.locale === 'en' ? 'en' : 'it',
});

/** Who am I, my organisation's members, and "Profilo > Opzioni su chat esterna". */
export function meRoutes(db: Db): Router {
  const router = express.Router();

  router.get('/me', async (req, res) => {
    const internal = await currentInternal(db, req);
    let body: MeDto = { kind: 'anonymous' };
    if (internal) {
      const [org] = await db.select({ id: organisations.id, name: organisations.name }).from(organisations).where(eq(organisations.id, internal.orgId));
      body = { kind: 'internal', user: presentUser(internal), organisation: org! };
    } else {
      const external = await currentExternal(db, req);
      if (external) body = { kind: 'external', externalUser: { id: external.id, email: external.email, name: external.name, provider: external.provider } };
    }
    res.json(body);
  });

  router.get('/users', async (req, res) => {
    const actor = await requireInternal(db, req);
    const rows = await db.select().from(users).where(eq(users.orgId, actor.orgId)).orderBy(asc(users.name));
    res.json({ items: rows.map(presentUser) });
  });

  router.get('/profile/options', async (req, res) => {
    const actor = await requireInternal(db, req);
    const [row] = await db.select().from(users).where(eq(users.id, actor.id));
    res.json(presentOptions(row!));
  });

  router.patch('/profile/options', async (req, res) => {
    const actor = await requireInternal(db, req);
    const input = parse(ProfileOptionsUpdate, req.body);
    const [row] = await db.update(users).set(input).where(eq(users.id, actor.id)).returning();
    res.json(presentOptions(row!));
  });

  return router;
}
