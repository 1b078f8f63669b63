/**
 * Mail routes: sending a context's email with the chat button and an event's invitation
 * (internal API), and the unsubscribe link of the guests' offline emails (no sign-in).
 */
import express, { type Router } from 'express';
import { IdParam, SendContextEmail, SendInvitation } from '@chatpro/common';
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { requireInternal } from '../http/auth.ts';
import { parse } from '../http/validate.ts';
import type { Mail } from '../mail/index.ts';
import { sendContextEmail, sendInvitation } from '../mail/contextMail.ts';
import { unsubscribePage } from '../mail/templates.ts';
import { findSubscription, optOut } from '../mail/unsubscribe.ts';
import { authorizeContext } from '../policies/contextPolicy.ts';

export function mailRoutes(db: Db, mail: Mail): Router {
  const router = express.Router();

  router.post('/contexts/:id/send-email', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'context id');
    const input = parse(SendContextEmail, req.body ?? {});
    const context = await authorizeContext(db, actor, id);
    res.json(await sendContextEmail(mail.contextMail, actor, context, input));
  });

  router.post('/contexts/:id/send-invitation', async (req, res) => {
    const actor = await requireInternal(db, req);
    const { id } = parse(IdParam, req.params, 'context id');
    const input = parse(SendInvitation, req.body ?? {});
    const context = await authorizeContext(db, actor, id);
    res.json(await sendInvitation(mail.contextMail, actor, context, input));
  });

  return router;
}

const TokenQuery = z.object({ token: z.string().max(200) });

export function unsubscribeRoutes(db: Db, mail: Mail): Router {
  const router = express.Router();
  const reply = (res: express.Response, status: number, html: string) =>
    res.status(status).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).send(html);

  // Opening the link asks first: mail services' link scanners open every link of an email.
  router.get('/mail/unsubscribe', async (req, res) => {
    const token = TokenQuery.safeParse(req.query).data?.token;
    const subscription = token ? await findSubscription(db, mail.secret, token) : null;
    if (!subscription || !token) return reply(res, 404, unsubscribePage({ kind: 'invalid' }));
    if (subscription.optedOut) return reply(res, 200, unsubscribePage({ kind: 'done', subject: subscription.subject }));
    reply(res, 200, unsubscribePage({ kind: 'confirm', subject: subscription.subject, token }));
  });

  // The confirmation button, and one-click unsubscribe from mail programs (RFC 8058).
  router.post('/mail/unsubscribe', async (req, res) => {
    const token = TokenQuery.safeParse(req.query).data?.token;
    const subscription = token ? await findSubscription(db, mail.secret, token) : null;
    if (!subscription) return reply(res, 404, unsubscribePage({ kind: 'invalid' }));
    await optOut(db, subscription);
    reply(res, 200, unsubscribePage({ kind: 'done', subject: subscription.subject }));
  });

  return router;
}
