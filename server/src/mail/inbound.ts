/**
 * Reply by email: an SMTP listener (off by default) that takes mail to the signed reply
 * addresses of the offline emails and adds the reply to the chat as the guest, with its files.
 * Whatever it cannot take is refused during the SMTP dialogue with a code, so that the sender's
 * mail server bounces it: nothing is dropped silently.
 *   550 5.1.1  not one of our reply addresses (unknown, forged, or the member has gone)
 *   550 5.7.1  the chat is closed (link expired), the sender is not the guest, or an auto-reply
 *   550 5.6.0  nothing left to post once quotes and signature are removed
 *   552 5.3.4  too large, or too many attachments
 *   451 4.3.0  our own failure: the sender's server tries again later
 */
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { and, eq } from 'drizzle-orm';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import { MAX_MESSAGE_ATTACHMENTS, MAX_MESSAGE_LENGTH, MessageSend } from '@chatpro/common';
import type { Db } from '../db/index.ts';
import { contexts, externalUsers, groupMembers, groups, messages } from '../db/schema.ts';
import { AppError } from '../http/errors.ts';
import type { ExternalActor } from '../http/auth.ts';
import type { Logger } from '../logger.ts';
import { authorizeGroup, assertCanWrite } from '../policies/groupPolicy.ts';
import type { ChatService } from '../realtime/chatService.ts';
import { storeFile } from '../services/attachments.ts';
import { parseReplyAddress } from './replyAddress.ts';
import { stripReply } from './replyText.ts';

export interface InboundOptions {
  port: number;
  host: string | undefined;
  tls: { key: string; cert: string } | null;
  secret: string;
  replyDomain: string;
  maxUploadBytes: number;
}

export interface InboundListener {
  port: number;
  close(): Promise<void>;
}

type SmtpError = Error & { responseCode: number };

export function smtpError(responseCode: number, message: string): SmtpError {
  return Object.assign(new Error(message), { responseCode });
}

const NO_SUCH_RECIPIENT = () => smtpError(550, '5.1.1 No such recipient here');
const MAX_RECIPIENTS = 5;

interface Target {
  address: string;
  groupId: string;
  orgId: string;
  guest: ExternalActor;
}

/** Who a reply address writes as, and where; refuses what cannot be written to now. */
async function resolveTarget(db: Db, secret: string, domain: string, address: string): Promise<Target> {
  const memberId = parseReplyAddress(secret, domain, address);
  if (!memberId) throw NO_SUCH_RECIPIENT();
  const [row] = await db
    .select({ groupId: groupMembers.groupId, orgId: contexts.orgId, guest: externalUsers })
    .from(groupMembers)
    .innerJoin(groups, eq(groups.id, groupMembers.groupId))
    .innerJoin(contexts, eq(contexts.id, groups.contextId))
    .innerJoin(externalUsers, eq(externalUsers.id, groupMembers.externalUserId))
    .where(eq(groupMembers.id, memberId));
  if (!row) throw NO_SUCH_RECIPIENT();
  const guest: ExternalActor = { kind: 'external', id: row.guest.id, email: row.guest.email, name: row.guest.name, provider: row.guest.provider };
  try {
    assertCanWrite(await authorizeGroup(db, guest, row.groupId));
  } catch (err) {
    if (err instanceof AppError && err.code === 'link_closed') throw smtpError(550, '5.7.1 This chat is closed: its link has expired');
    if (err instanceof AppError && err.status === 404) throw NO_SUCH_RECIPIENT();
    throw err;
  }
  return { address, groupId: row.groupId, orgId: row.orgId, guest };
}

const isAutoReply = (mail: ParsedMail) => {
  const auto = mail.headers.get('auto-submitted');
  return (typeof auto === 'string' && auto.toLowerCase() !== 'no') || mail.headers.has('x-autoreply') || mail.headers.has('x-autorespond');
};

/** A client id made from the Message-ID, so that a message delivered twice is posted once. */
function clientIdOf(mail: ParsedMail, groupId: string): string {
  const seed = mail.messageId ? `${mail.messageId}:${groupId}` : `${Date.now()}:${Math.random()}:${groupId}`;
  return `mail-${createHash('sha256').update(seed).digest('base64url').slice(0, 40)}`;
}

export async function startInbound(deps: { db: Db; chat: ChatService; logger: Logger }, options: InboundOptions): Promise<InboundListener> {
  const { db, chat, logger } = deps;
  const targets = new Map<string, Target[]>();
  const key = (session: SMTPServerSession) => `${session.id}:${session.transaction}`;
  // A message is at most one attachment of the largest size, base64-encoded, and the text around it.
  const sizeLimit = Math.ceil(options.maxUploadBytes * 1.4) + 1024 * 1024;

  async function deliver(mail: ParsedMail, target: Target): Promise<void> {
    const from = mail.from?.value[0]?.address?.toLowerCase();
    if (!from || from !== target.guest.email.toLowerCase()) throw smtpError(550, '5.7.1 The sender is not the participant of this chat');
    const clientId = clientIdOf(mail, target.groupId);
    const [earlier] = await db
      .select({ id: messages.id })
      .from(messages)
      .where(and(eq(messages.groupId, target.groupId), eq(messages.clientId, clientId)));
    if (earlier) return;
    let body = stripReply(mail.text ?? '');
    if (body.length > MAX_MESSAGE_LENGTH) body = `${body.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
    // Inline images of the HTML (signature logos) are part of the layout, not attachments.
    const files = mail.attachments.filter((a) => !a.related);
    if (files.length > MAX_MESSAGE_ATTACHMENTS) throw smtpError(552, `5.3.4 At most ${MAX_MESSAGE_ATTACHMENTS} attachments per reply`);
    if (files.some((f) => f.size > options.maxUploadBytes)) throw smtpError(552, `5.3.4 An attachment is larger than ${options.maxUploadBytes} bytes`);
    if (!body && files.length === 0) throw smtpError(550, '5.6.0 The reply is empty once the quoted text is removed');
    const attachmentIds: string[] = [];
    for (const [position, f] of files.entries()) {
      const row = await storeFile(
        db,
        Readable.from([f.content]),
        { filename: f.filename ?? 'allegato', encoding: '7bit', mimeType: f.contentType },
        { orgId: target.orgId, uploadedByExternalId: target.guest.id },
        options.maxUploadBytes,
        position,
      );
      attachmentIds.push(row.id);
    }
    await chat.send(target.guest, MessageSend.parse({ groupId: target.groupId, clientId, body, attachmentIds }));
  }

  const server = new SMTPServer({
    name: options.replyDomain,
    banner: 'ChatPro replies',
    authOptional: true,
    disabledCommands: options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(options.tls ? { key: readFileSync(options.tls.key), cert: readFileSync(options.tls.cert) } : {}),
    size: sizeLimit,
    rejectOversized: true,
    maxRecipients: MAX_RECIPIENTS,
    maxClients: 100,
    socketTimeout: 60_000,
    closeTimeout: 5_000,
    logger: false,
    onRcptTo(address: SMTPServerAddress, session, callback) {
      resolveTarget(db, options.secret, options.replyDomain, address.address).then(
        (target) => {
          targets.set(key(session), [...(targets.get(key(session)) ?? []), target]);
          callback();
        },
        (err: unknown) => {
          if ((err as Partial<SmtpError>).responseCode) return callback(err as SmtpError);
          logger.error({ err }, 'inbound mail: recipient check failed');
          callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
        },
      );
    },
    onData(stream, session, callback) {
      const list = targets.get(key(session)) ?? [];
      targets.delete(key(session));
      simpleParser(stream, { skipHtmlToText: false })
        .then(async (mail) => {
          if (stream.sizeExceeded) throw smtpError(552, '5.3.4 The message is too large');
          if (isAutoReply(mail)) throw smtpError(550, '5.7.1 Automatic replies are not posted to the chat');
          for (const target of list) await deliver(mail, target);
          logger.info({ recipients: list.length, attachments: mail.attachments.length }, 'reply by email posted');
          callback();
        })
        .catch((err: unknown) => {
          if ((err as Partial<SmtpError>).responseCode) return callback(err as SmtpError);
          if (err instanceof AppError && err.code === 'link_closed') return callback(smtpError(550, '5.7.1 This chat is closed: its link has expired'));
          if (err instanceof AppError && err.status < 500) return callback(smtpError(550, `5.6.0 ${err.message}`));
          logger.error({ err }, 'inbound mail: delivery failed');
          callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
        });
    },
    onClose(session) {
      for (const k of targets.keys()) if (k.startsWith(`${session.id}:`)) targets.delete(k);
    },
  });
  server.on('error', (err) => logger.error({ err }, 'inbound SMTP listener error'));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;
  logger.info({ port, domain: options.replyDomain }, 'inbound SMTP listener for replies');
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
