/**
 * Emails sent from the workspace: a context's email with the "Clicca qui per discuterne" button
 * of one of its ChatPro links, and an event's invitation whose description carries the chat link.
 * Sent from MAIL_FROM in the user's name, with replies going to the user.
 */
import { and, asc, desc, eq, gt, isNull } from 'drizzle-orm';
import type { MailSentDto, SendContextEmail, SendInvitation } from '@chatpro/common';
import type { Db } from '../db/index.ts';
import { attachments, chatLinks } from '../db/schema.ts';
import { AppError, badRequest, conflict, notFound } from '../http/errors.ts';
import type { InternalActor } from '../http/auth.ts';
import { linkClosed } from '../policies/groupPolicy.ts';
import type { ContextRow } from '../policies/contextPolicy.ts';
import { isLinkActive, type LinkRow } from '../presenters/chat.ts';
import { attachmentStream } from '../services/attachments.ts';
import { sanitizeBody } from '../services/sanitize.ts';
import { invitationIcs } from './ics.ts';
import { contextEmail, htmlToText, invitationEmail } from './templates.ts';
import type { MailTransport, OutgoingMail, SentMail } from './transport.ts';

export interface ContextMailDeps {
  db: Db;
  transport: MailTransport;
  publicUrl: string;
  /** MAIL_FROM, whose address sends in the user's name. */
  from: string;
}

/** The address part of "Name <address>" or of a bare address. */
export const addressOf = (from: string) => /<([^>]+)>/.exec(from)?.[1]?.trim() ?? from.trim();

/** A link of this context, open (a closed chat is not offered to anyone). */
async function openLinkOf(db: Db, contextId: string, linkId: string): Promise<LinkRow> {
  const [link] = await db.select().from(chatLinks).where(eq(chatLinks.id, linkId));
  if (!link || link.contextId !== contextId) throw notFound('Link');
  if (!isLinkActive(link)) throw linkClosed();
  return link;
}

/** The newest open link of a context. */
async function newestOpenLink(db: Db, contextId: string): Promise<LinkRow | null> {
  const [link] = await db
    .select()
    .from(chatLinks)
    .where(and(eq(chatLinks.contextId, contextId), gt(chatLinks.expiresAt, new Date())))
    .orderBy(desc(chatLinks.createdAt))
    .limit(1);
  return link ?? null;
}

async function send(deps: ContextMailDeps, mail: OutgoingMail): Promise<SentMail> {
  try {
    return await deps.transport.send(mail);
  } catch (err) {
    const e = err as { responseCode?: number; response?: string; message?: string };
    throw new AppError(502, 'mail_failed', `The mail server refused the email${e.responseCode ? ` (${e.responseCode})` : ''}`);
  }
}

const sender = (deps: ContextMailDeps, actor: InternalActor) => ({
  from: { name: actor.name, address: addressOf(deps.from) },
  replyTo: { name: actor.name, address: actor.email },
});

/** "Invia": the context's email as HTML with the chat button, a text part with the link, and its files. */
export async function sendContextEmail(deps: ContextMailDeps, actor: InternalActor, context: ContextRow, input: SendContextEmail): Promise<MailSentDto> {
  const { db } = deps;
  if (context.kind !== 'email') throw badRequest('Only an email context is sent as an email');
  const to = input.to ?? context.emailTo ?? [];
  const cc = input.cc ?? context.emailCc ?? [];
  if (to.length + cc.length === 0) throw badRequest('The email has no recipients');
  const link = input.linkId ? await openLinkOf(db, context.id, input.linkId) : null;
  const chatUrl = link ? `${deps.publicUrl}/c/${link.token}` : null;
  const email = contextEmail({ subject: input.subject ?? context.subject, bodyHtml: sanitizeBody(input.html ?? context.bodyHtml), chatUrl });
  const files = await db
    .select()
    .from(attachments)
    .where(and(eq(attachments.contextId, context.id), isNull(attachments.messageId), eq(attachments.complete, true)))
    .orderBy(asc(attachments.createdAt));
  const info = await send(deps, {
    ...sender(deps, actor),
    to,
    cc,
    subject: email.subject,
    html: email.html,
    text: email.text,
    attachments: files.map((f) => ({ filename: f.fileName, contentType: f.contentType, content: attachmentStream(db, f.id, f.size) })),
  });
  return { messageId: info.messageId, accepted: info.accepted, rejected: info.rejected, chatUrl };
}

/** The invitation of an event with "invito": an iCalendar REQUEST to its attendees, with the chat link. */
export async function sendInvitation(deps: ContextMailDeps, actor: InternalActor, context: ContextRow, input: SendInvitation): Promise<MailSentDto> {
  const { db } = deps;
  if (context.kind !== 'event' || !context.eventStart || !context.eventEnd) throw badRequest('Only an event sends an invitation');
  if (!context.eventInvite) throw conflict('This event has no invitation ("invito" is off)');
  const attendees = [...new Set([...(context.eventAttendees ?? []), ...(input.attendees ?? [])].map((a) => a.toLowerCase()))];
  if (attendees.length === 0) throw badRequest('The event has no attendees to invite');
  const link = input.linkId ? await openLinkOf(db, context.id, input.linkId) : await newestOpenLink(db, context.id);
  if (!link) throw conflict('Attiva prima la conversazione esterna: l’invito porta il link della chat');
  const chatUrl = `${deps.publicUrl}/c/${link.token}`;
  const timeZone = context.eventTimeZone ?? 'Europe/Rome';
  const bodyHtml = sanitizeBody(context.bodyHtml);
  const bodyText = bodyHtml ? htmlToText(bodyHtml) : '';
  const ics = invitationIcs({
    uid: `${context.id}@${new URL(deps.publicUrl).hostname}`,
    sequence: Math.floor(context.updatedAt.getTime() / 1000),
    start: context.eventStart,
    end: context.eventEnd,
    timeZone,
    summary: context.subject,
    description: `Clicca qui per discuterne: ${chatUrl}${bodyText ? `\n\n${bodyText}` : ''}`,
    location: context.eventLocation ?? '',
    url: chatUrl,
    organizer: { name: actor.name, email: actor.email },
    attendees,
  });
  const email = invitationEmail({
    subject: context.subject,
    bodyHtml,
    start: context.eventStart,
    end: context.eventEnd,
    timeZone,
    location: context.eventLocation ?? '',
    organizerName: actor.name,
    chatUrl,
  });
  const info = await send(deps, {
    ...sender(deps, actor),
    to: attendees,
    subject: email.subject,
    html: email.html,
    text: email.text,
    icalEvent: { method: 'REQUEST', filename: 'invito.ics', content: ics },
  });
  return { messageId: info.messageId, accepted: info.accepted, rejected: info.rejected, chatUrl };
}
