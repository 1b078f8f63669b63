/**
 * The server's side of the Gmail add-on: the ports of `@chatpro/gmail-addon`, built on the same
 * services and policies as the HTTP routes. Posting goes through ChatService.send, so a message
 * from Gmail is stored, broadcast and notified like any other.
 */
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import {
  AddonPost,
  ContextCreate,
  EmailContextRequest,
  LinkCreate,
  type AddonConversation,
  type AddonMessageView,
  type AddonUser,
  type EmailLink,
  type GmailAddonPorts,
  type GoogleIdentity,
  type MessageDto,
} from '@chatpro/common';
import type { Db } from '../db/index.ts';
import { chatLinks, externalUsers, gmailAddonEmails, groups, messages, users } from '../db/schema.ts';
import { loadActor, type ExternalActor, type InternalActor } from '../http/auth.ts';
import { AppError, forbidden } from '../http/errors.ts';
import { parse } from '../http/validate.ts';
import { isViewer } from '../policies/contextPolicy.ts';
import { linkClosed } from '../policies/groupPolicy.ts';
import { isLinkActive, type LinkRow } from '../presenters/chat.ts';
import type { ChatService } from '../realtime/chatService.ts';
import type { Hub } from '../realtime/hub.ts';
import { ensurePublicGroup, findGuestGroup, messagesSince } from '../services/chat.ts';
import { createContext } from '../services/contexts.ts';
import { resolveInternalUser } from '../services/identity.ts';
import { createLink, findLinkByToken } from '../services/links.ts';
import { recordAccess } from '../services/notifications.ts';

export interface GmailPortDeps {
  db: Db;
  chat: ChatService;
  hub: Hub;
  publicUrl: string;
}

/** Identities verified by Google's ID tokens are stored under the same provider id as Google sign-in. */
const PROVIDER = 'google';

export function createGmailPorts(deps: GmailPortDeps): GmailAddonPorts {
  const { db, chat, hub, publicUrl } = deps;
  const linkUrl = (token: string) => `${publicUrl}/c/${token}`;

  async function actorOf(user: AddonUser): Promise<InternalActor | ExternalActor> {
    const actor = await loadActor(db, user.kind === 'internal' ? { userId: user.id } : { externalUserId: user.id });
    if (!actor || actor.kind !== user.kind) throw new AppError(401, 'unauthenticated', 'Unknown add-on user');
    return actor;
  }

  async function internalActor(user: AddonUser): Promise<InternalActor> {
    if (user.kind !== 'internal') throw forbidden('Only members of an organisation can do this');
    return (await actorOf(user)) as InternalActor;
  }

  /** The group an internal user sees through a link: the most recently active guest group opened by it, else the public discussion. */
  async function internalGroupOf(link: LinkRow & { contextId: string }): Promise<{ id: string; lastSeq: number }> {
    const [latest] = await db
      .select({ id: groups.id, lastSeq: groups.lastSeq })
      .from(groups)
      .where(and(eq(groups.linkId, link.id), isNull(groups.mergedInto)))
      .orderBy(desc(sql`(select max(${messages.createdAt}) from ${messages} where ${messages.groupId} = ${groups.id})`), desc(groups.createdAt))
      .limit(1);
    if (latest) return latest;
    const publicGroup = await ensurePublicGroup(db, link.contextId);
    return { id: publicGroup.id, lastSeq: publicGroup.lastSeq };
  }

  const view = (m: MessageDto, user: AddonUser): AddonMessageView => ({
    id: m.id,
    authorKind: m.author.kind,
    authorName: m.author.name,
    mine: m.author.kind === user.kind && m.author.id === user.id,
    body: m.body,
    attachmentNames: m.attachments.map((a) => a.fileName),
    createdAt: m.createdAt,
  });

  async function lastMessages(group: { id: string; lastSeq: number } | null, limit: number): Promise<MessageDto[]> {
    if (!group) return [];
    const [current] = await db.select({ lastSeq: groups.lastSeq }).from(groups).where(eq(groups.id, group.id));
    const since = Math.max(0, (current?.lastSeq ?? group.lastSeq) - limit);
    return (await messagesSince(db, group.id, since, limit)).messages;
  }

  /** Where this user reads and writes through the link; null when they may not. */
  async function groupFor(user: AddonUser, link: LinkRow): Promise<{ id: string; lastSeq: number } | null | 'forbidden'> {
    if (user.kind === 'external') return findGuestGroup(db, link.id, user.id);
    const actor = await internalActor(user);
    if (!link.contextId || link.orgId !== actor.orgId || !(await isViewer(db, actor.id, link.contextId))) return 'forbidden';
    return internalGroupOf({ ...link, contextId: link.contextId });
  }

  const locks = new Map<string, Promise<void>>();
  async function linkLocks<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = locks.get(key) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    locks.set(key, settled);
    try {
      return await run;
    } finally {
      if (locks.get(key) === settled) locks.delete(key);
    }
  }

  async function activate(actor: InternalActor, contextId: string, subject: string): Promise<LinkRow> {
    const change = await createLink(db, actor, { contextId, subject }, LinkCreate.parse({}), publicUrl);
    if (change.audit) hub.message(change.audit);
    const [row] = await db.select().from(chatLinks).where(eq(chatLinks.id, change.link.id));
    return row!;
  }

  return {
    async resolveUser(identity: GoogleIdentity): Promise<AddonUser> {
      const verified = { provider: PROVIDER, subject: identity.sub, email: identity.email, emailVerified: identity.emailVerified, name: identity.name };
      try {
        const { id } = await resolveInternalUser(db, verified);
        const [row] = await db.select({ id: users.id, name: users.name, email: users.email }).from(users).where(eq(users.id, id));
        return { kind: 'internal', ...row! };
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'not_a_member')) throw err;
      }
      const email = identity.email.toLowerCase();
      // The add-on's token may carry no name: keep the one an earlier sign-in gave.
      const [row] = await db
        .insert(externalUsers)
        .values({ provider: PROVIDER, subject: identity.sub, email, name: identity.name || email })
        .onConflictDoUpdate({
          target: [externalUsers.provider, externalUsers.subject],
          set: { email, lastSeenAt: new Date(), ...(identity.name ? { name: identity.name } : {}) },
        })
        .returning({ id: externalUsers.id, name: externalUsers.name, email: externalUsers.email });
      return { kind: 'external', ...row! };
    },

    async conversation(user, token, limit): Promise<AddonConversation | null> {
      const link = await findLinkByToken(db, token);
      if (!link) return null;
      const url = linkUrl(link.token);
      const group = await groupFor(user, link);
      if (group === 'forbidden') return { status: 'forbidden', subject: link.subject, url };
      if (user.kind === 'external') for (const { userId, notification } of await recordAccess(db, link, user.id)) hub.notify(userId, notification);
      const active = isLinkActive(link);
      return {
        status: 'ok',
        subject: link.subject,
        url,
        token: link.token,
        active,
        expiresAt: link.expiresAt.toISOString(),
        messages: (await lastMessages(group, limit)).map((m) => view(m, user)),
        writable: active,
      };
    },

    async post(user, input): Promise<AddonMessageView> {
      const { token, clientId, body } = parse(AddonPost, input, 'message');
      const actor = await actorOf(user);
      if (actor.kind === 'external') return view(await chat.send(actor, { linkToken: token, clientId, body, attachmentIds: [] }), user);
      const link = await chat.linkForGuest(token);
      const group = await groupFor(user, link);
      if (group === 'forbidden' || !group) throw forbidden('You are not a viewer of this conversation');
      if (!isLinkActive(link)) throw linkClosed();
      return view(await chat.send(actor, { groupId: group.id, clientId, body, attachmentIds: [] }), user);
    },

    async findEmailLink(user, key): Promise<EmailLink | null> {
      if (user.kind !== 'internal') return null;
      const [row] = await db
        .select({ contextId: gmailAddonEmails.contextId, token: chatLinks.token })
        .from(gmailAddonEmails)
        .innerJoin(chatLinks, eq(chatLinks.id, gmailAddonEmails.linkId))
        .where(and(eq(gmailAddonEmails.userId, user.id), eq(gmailAddonEmails.gmailKey, key)));
      return row ? { token: row.token, url: linkUrl(row.token), contextId: row.contextId, created: false } : null;
    },

    async emailLink(user, request): Promise<EmailLink> {
      const actor = await internalActor(user);
      const input = parse(EmailContextRequest, request, 'email');
      return linkLocks(`${actor.id}:${input.key}`, async () => {
        const where = and(eq(gmailAddonEmails.userId, actor.id), eq(gmailAddonEmails.gmailKey, input.key));
        const [existing] = await db.select({ row: gmailAddonEmails, link: chatLinks }).from(gmailAddonEmails).innerJoin(chatLinks, eq(chatLinks.id, gmailAddonEmails.linkId)).where(where);
        if (existing && (await isViewer(db, actor.id, existing.row.contextId))) {
          let link = existing.link;
          if (!isLinkActive(link)) {
            // The draft's chat has closed: open a new link on the same context.
            link = await activate(actor, existing.row.contextId, link.subject);
            await db.update(gmailAddonEmails).set({ linkId: link.id }).where(where);
          }
          return { token: link.token, url: linkUrl(link.token), contextId: existing.row.contextId, created: false };
        }
        const context = await createContext(
          db,
          actor,
          parse(ContextCreate, {
            kind: 'email',
            subject: input.subject || '(senza oggetto)',
            bodyHtml: input.bodyHtml,
            email: { ...(input.from ? { from: input.from } : {}), to: input.to, cc: input.cc },
          }),
        );
        const link = await activate(actor, context.id, context.subject);
        await db
          .insert(gmailAddonEmails)
          .values({ userId: actor.id, gmailKey: input.key, contextId: context.id, linkId: link.id })
          .onConflictDoUpdate({ target: [gmailAddonEmails.userId, gmailAddonEmails.gmailKey], set: { contextId: context.id, linkId: link.id } });
        return { token: link.token, url: linkUrl(link.token), contextId: context.id, created: true };
      });
    },
  };
}
