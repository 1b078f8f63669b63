/**
 * Offline emails to guests. When a message arrives in a group and an external member has no
 * connected socket, a row of guest_email_queue asks for an email after a short delay; more
 * messages join the same pending email. A worker claims due rows (FOR UPDATE SKIP LOCKED, with
 * a lease), checks again what the guest has read and whether they came back, and sends one
 * email with the newest unseen messages, at most one per group and guest per interval.
 * Everything is in the database: a restart keeps the schedule, and several processes share it
 * without sending an email twice.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, isNotNull, lte, ne, or, sql, count, isNull, lt } from 'drizzle-orm';
import type { MessageDto } from '@chatpro/common';
import type { Db } from '../db/index.ts';
import { attachments, chatLinks, contexts, externalUsers, groupMembers, groups, guestEmailQueue, messages, organisations, users } from '../db/schema.ts';
import type { Logger } from '../logger.ts';
import type { Hub } from '../realtime/hub.ts';
import { replyAddress } from './replyAddress.ts';
import { guestDigestEmail, type DigestMessage } from './templates.ts';
import type { MailTransport } from './transport.ts';
import { unsubscribeUrl } from './unsubscribe.ts';

export const DIGEST_MAX_MESSAGES = 10;
const BATCH = 20;
/** A claim lapses after this long, so that a worker that died mid-send does not hold a row forever. */
const LEASE_MS = 5 * 60_000;
const MAX_ATTEMPTS = 8;
/** A conversation that goes on keeps pushing the email back, up to this many delays. */
const MAX_WAIT_DELAYS = 5;

export interface NotifierOptions {
  delayMs: number;
  intervalMs: number;
  pollMs: number;
  secret: string;
  replyDomain: string | null;
  publicUrl: string;
}

type QueueRow = typeof guestEmailQueue.$inferSelect;

const millis = (ms: number) => sql`make_interval(secs => ${ms / 1000}::double precision)`;

export class OfflineNotifier {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly presence: Pick<Hub, 'connectedGuests'>,
    private readonly transport: MailTransport,
    private readonly logger: Logger,
    private readonly options: NotifierOptions,
  ) {}

  /** Which of these guests have a socket connected, on any process. */
  private connected(externalUserIds: string[]): Promise<Set<string>> {
    return this.presence.connectedGuests(externalUserIds);
  }

  /**
   * Called after messages are stored, a tick's worth at once: asks for an email to each external
   * member who is away. One read of the members, one look for the guests'
   * sockets, one upsert of the pending emails (a message after another in the same email is what
   * one upsert per message would make: the first seq of the run, the last, the delay from now).
   */
  async onMessages(list: MessageDto[]): Promise<void> {
    const relevant = list.filter((m) => m.author.kind !== 'system');
    if (relevant.length === 0) return;
    const members = await this.db
      .select({ groupId: groupMembers.groupId, externalUserId: groupMembers.externalUserId, lastReadSeq: groupMembers.lastReadSeq })
      .from(groupMembers)
      .where(
        and(inArray(groupMembers.groupId, [...new Set(relevant.map((m) => m.groupId))]), isNotNull(groupMembers.externalUserId), eq(groupMembers.emailOptOut, false)),
      );
    const byGroup = new Map<string, typeof members>();
    for (const m of members) byGroup.set(m.groupId, [...(byGroup.get(m.groupId) ?? []), m]);
    const wanted = new Map<string, { groupId: string; guestId: string; firstSeq: number; lastSeq: number }>();
    for (const message of relevant) {
      for (const m of byGroup.get(message.groupId) ?? []) {
        const guestId = m.externalUserId!;
        if (message.author.kind === 'external' && message.author.id === guestId) continue;
        if (m.lastReadSeq >= message.seq) continue;
        const key = `${message.groupId}:${guestId}`;
        const w = wanted.get(key);
        if (w) {
          w.firstSeq = Math.min(w.firstSeq, message.seq);
          w.lastSeq = Math.max(w.lastSeq, message.seq);
        } else wanted.set(key, { groupId: message.groupId, guestId, firstSeq: message.seq, lastSeq: message.seq });
      }
    }
    if (wanted.size === 0) return;
    const guests = [...new Set([...wanted.values()].map((w) => w.guestId))];
    const online = await this.connected(guests);
    // In a stable order: two processes upserting the same rows take their locks alike.
    const rows = [...wanted.values()]
      .filter((w) => !online.has(w.guestId))
      .sort((a, b) => (a.groupId === b.groupId ? (a.guestId < b.guestId ? -1 : 1) : a.groupId < b.groupId ? -1 : 1));
    if (rows.length === 0) return;
    const q = guestEmailQueue;
    await this.db
      .insert(q)
      .values(
        rows.map((w) => ({
          groupId: w.groupId,
          externalUserId: w.guestId,
          dueAt: sql`now() + ${millis(this.options.delayMs)}`,
          pendingSince: sql`now()`,
          firstSeq: w.firstSeq,
          lastSeq: w.lastSeq,
        })),
      )
      .onConflictDoUpdate({
        target: [q.groupId, q.externalUserId],
        set: {
          // A pending email takes the new messages in and waits the delay again (a burst makes one
          // email), but no longer than MAX_WAIT_DELAYS delays since it was asked for. Never sooner
          // than the interval after the last email.
          firstSeq: sql`case when ${q.dueAt} is null then excluded.first_seq else ${q.firstSeq} end`,
          lastSeq: sql`greatest(${q.lastSeq}, excluded.last_seq)`,
          dueAt: sql`greatest(
            case when ${q.dueAt} is null then excluded.due_at
              else least(greatest(${q.dueAt}, excluded.due_at), ${q.pendingSince} + ${millis(this.options.delayMs * MAX_WAIT_DELAYS)}) end,
            ${q.lastSentAt} + ${millis(this.options.intervalMs)})`,
          pendingSince: sql`case when ${q.dueAt} is null then excluded.pending_since else ${q.pendingSince} end`,
        },
      });
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick()
        .then(
          () => undefined,
          (err: unknown) => this.logger.error({ err }, 'offline email worker failed'),
        )
        .finally(() => {
          this.running = null;
          this.schedule(this.options.pollMs);
        });
    }, ms);
  }

  /** Stops polling and waits for the emails being sent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One round: claims the due rows and handles each. Answers how many emails went out. */
  async tick(): Promise<number> {
    const q = guestEmailQueue;
    const claimId = randomUUID();
    const due = this.db
      .select({ groupId: q.groupId, externalUserId: q.externalUserId })
      .from(q)
      .where(and(lte(q.dueAt, sql`now()`), or(isNull(q.claimedUntil), lt(q.claimedUntil, sql`now()`))))
      .orderBy(asc(q.dueAt))
      .limit(BATCH)
      .for('update', { skipLocked: true });
    const claimed = await this.db
      .update(q)
      .set({ claimId, claimedUntil: sql`now() + ${millis(LEASE_MS)}`, attempts: sql`${q.attempts} + 1` })
      .where(sql`(${q.groupId}, ${q.externalUserId}) in (${due})`)
      .returning();
    let sent = 0;
    for (const row of claimed) {
      try {
        if (await this.handle(row)) sent++;
      } catch (err) {
        await this.retryLater(row, err);
      }
    }
    return sent;
  }

  /** Sends the email of a claimed row, or cancels it; answers true when an email went out. */
  private async handle(row: QueueRow): Promise<boolean> {
    const [info] = await this.db
      .select({
        memberId: groupMembers.id,
        lastReadSeq: groupMembers.lastReadSeq,
        optOut: groupMembers.emailOptOut,
        memberLinkId: groupMembers.linkId,
        group: groups,
        guest: externalUsers,
        orgName: organisations.name,
      })
      .from(groupMembers)
      .innerJoin(groups, eq(groups.id, groupMembers.groupId))
      .innerJoin(externalUsers, eq(externalUsers.id, groupMembers.externalUserId))
      .innerJoin(contexts, eq(contexts.id, groups.contextId))
      .innerJoin(organisations, eq(organisations.id, contexts.orgId))
      .where(and(eq(groupMembers.groupId, row.groupId), eq(groupMembers.externalUserId, row.externalUserId)));
    // Left the group, unsubscribed, or the group was merged away: nothing to send.
    if (!info || info.optOut || info.group.mergedInto) return this.finish(row, row.lastSeq, false);
    const covered = info.group.lastSeq;
    const since = Math.max(info.lastReadSeq, row.sentSeq);
    const unseen = and(
      eq(messages.groupId, row.groupId),
      gt(messages.seq, since),
      lte(messages.seq, covered),
      ne(messages.authorKind, 'system'),
      or(isNull(messages.authorExternalId), ne(messages.authorExternalId, row.externalUserId)),
    );
    const [total] = await this.db.select({ n: count() }).from(messages).where(unseen);
    // Read in time, or back on the page: they have seen it.
    if (!total || total.n === 0 || (await this.connected([row.externalUserId])).has(row.externalUserId)) return this.finish(row, covered, false);
    const linkId = info.memberLinkId ?? info.group.linkId;
    const [link] = linkId ? await this.db.select({ token: chatLinks.token, subject: chatLinks.subject }).from(chatLinks).where(eq(chatLinks.id, linkId)) : [];
    if (!link) {
      this.logger.warn({ groupId: row.groupId, externalUserId: row.externalUserId }, 'offline email skipped: the guest has no link to come back through');
      return this.finish(row, covered, false);
    }
    const rows = await this.db
      .select({ m: messages, userName: users.name, extName: externalUsers.name })
      .from(messages)
      .leftJoin(users, eq(users.id, messages.authorUserId))
      .leftJoin(externalUsers, eq(externalUsers.id, messages.authorExternalId))
      .where(unseen)
      .orderBy(desc(messages.seq))
      .limit(DIGEST_MAX_MESSAGES);
    rows.reverse();
    const files = rows.length
      ? await this.db
          .select({ messageId: attachments.messageId, fileName: attachments.fileName })
          .from(attachments)
          .where(inArray(attachments.messageId, rows.map((r) => r.m.id)))
          .orderBy(asc(attachments.position))
      : [];
    const digest: DigestMessage[] = rows.map((r) => ({
      authorName: r.userName ?? r.extName ?? '—',
      body: r.m.body,
      createdAt: r.m.createdAt,
      attachments: files.filter((f) => f.messageId === r.m.id).map((f) => f.fileName),
    }));
    const { publicUrl, secret, replyDomain } = this.options;
    const unsubscribe = unsubscribeUrl(publicUrl, secret, info.memberId);
    const email = guestDigestEmail({
      guestName: info.guest.name,
      organisation: info.orgName,
      subject: link.subject,
      chatUrl: `${publicUrl}/c/${link.token}`,
      unsubscribeUrl: unsubscribe,
      replyByEmail: replyDomain !== null,
      messages: digest,
      total: total.n,
    });
    const threadId = `<chatpro-group-${row.groupId}@${new URL(publicUrl).hostname}>`;
    await this.transport.send({
      to: { name: info.guest.name, address: info.guest.email },
      ...(replyDomain ? { replyTo: { name: `${info.orgName} (ChatPro)`, address: replyAddress(secret, replyDomain, info.memberId) } } : {}),
      subject: email.subject,
      html: email.html,
      text: email.text,
      // One thread per conversation in the guest's mail program.
      references: threadId,
      inReplyTo: threadId,
      headers: {
        'Auto-Submitted': 'auto-generated',
        'List-Unsubscribe': `<${unsubscribe}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    });
    return this.finish(row, covered, true);
  }

  /**
   * Releases a claim: everything up to `covered` is dealt with. Messages that came in meanwhile
   * keep an email pending, spaced out by the delay and the interval.
   */
  private async finish(row: QueueRow, covered: number, sent: boolean): Promise<boolean> {
    const q = guestEmailQueue;
    const lastSent = sent ? sql`now()` : sql`${q.lastSentAt}`;
    await this.db
      .update(q)
      .set({
        sentSeq: sql`greatest(${q.sentSeq}, ${covered}::integer)`,
        ...(sent ? { lastSentAt: sql`now()` } : {}),
        claimId: null,
        claimedUntil: null,
        attempts: 0,
        dueAt: sql`case when ${q.lastSeq} > ${covered}::integer then greatest(now() + ${millis(this.options.delayMs)}, ${lastSent} + ${millis(this.options.intervalMs)}) else null end`,
        firstSeq: sql`case when ${q.lastSeq} > ${covered}::integer then ${covered + 1}::integer else null end`,
        pendingSince: sql`case when ${q.lastSeq} > ${covered}::integer then now() else null end`,
      })
      .where(and(eq(q.groupId, row.groupId), eq(q.externalUserId, row.externalUserId), eq(q.claimId, row.claimId!)));
    return sent;
  }

  /** A failed send is tried again later, backing off; after several failures it is dropped and logged. */
  private async retryLater(row: QueueRow, err: unknown): Promise<void> {
    const q = guestEmailQueue;
    const giveUp = row.attempts >= MAX_ATTEMPTS;
    this.logger.error({ err, groupId: row.groupId, externalUserId: row.externalUserId, attempts: row.attempts, giveUp }, 'offline email failed');
    const backoff = Math.min(this.options.pollMs * 2 ** row.attempts, 3600_000);
    await this.db
      .update(q)
      .set({ claimId: null, claimedUntil: null, ...(giveUp ? { dueAt: null, firstSeq: null, pendingSince: null, attempts: 0 } : { dueAt: sql`now() + ${millis(backoff)}` }) })
      .where(and(eq(q.groupId, row.groupId), eq(q.externalUserId, row.externalUserId), eq(q.claimId, row.claimId!)));
  }
}
