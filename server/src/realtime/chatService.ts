/**
 * The chat's use cases, shared by HTTP routes and socket handlers: send (storing before
 * acknowledging or broadcasting), join with resume, guest views.
 */
import type { MessageDto, MessageSend } from '@chatpro/common';
import type { Db } from '../db/index.ts';
import { AppError, notFound } from '../http/errors.ts';
import type { Logger } from '../logger.ts';
import { assertCanWrite, authorizeGroup, linkClosed, type ChatActor, type GroupAccess } from '../policies/groupPolicy.ts';
import { isLinkActive } from '../presenters/chat.ts';
import { findGuestGroup, openGuestGroup, readGroup, storeMessage, touchContexts, type Author, type StoredMessage } from '../services/chat.ts';
import { findLinkByToken } from '../services/links.ts';
import { SendBatcher, type BatcherOptions } from '../services/sendBatch.ts';
import type { Hub } from './hub.ts';

/** Told of the new messages after they are broadcast (the offline emails of guests), a tick's worth at a time. */
export interface MessageListener {
  onMessages(messages: MessageDto[]): Promise<void>;
}

/** Most messages one round of after-send work takes. */
const AFTER_BATCH = 1000;
/**
 * How long the after-send work waits for more messages to do them together. Nobody watches a
 * context's activity time or a guest's offline email to the millisecond; at 500 messages a second
 * this makes ten rounds of a few statements instead of hundreds.
 */
export const AFTER_DELAY_MS = 50;
/**
 * On PGlite: there every statement runs on the server's own thread, a few milliseconds each
 * whatever its size, so a round of after-send work (3–4 statements) every 50 ms took a third of
 * the thread at 500 messages a second.
 */
export const PGLITE_AFTER_DELAY_MS = 250;

export interface ChatServiceOptions extends BatcherOptions {
  /** AFTER_DELAY_MS unless said. */
  afterDelayMs?: number;
}

export class ChatService {
  /** Work after an acknowledgement (activity, offline emails); awaited on shutdown and in tests. */
  private readonly pending = new Set<Promise<void>>();
  /** Messages broadcast whose after-send work has not started yet. */
  private afterQueue: { message: MessageDto; contextId: string }[] = [];
  private afterRunning = false;
  private afterTimer: NodeJS.Timeout | null = null;
  /** Text messages are stored a tick's worth at a time (group commit). */
  readonly batcher: SendBatcher;
  private readonly afterDelayMs: number;

  constructor(
    private readonly db: Db,
    private readonly hub: Hub,
    private readonly logger: Logger,
    private readonly listener: MessageListener | null = null,
    options: ChatServiceOptions = {},
  ) {
    const { afterDelayMs, ...batch } = options;
    this.afterDelayMs = afterDelayMs ?? AFTER_DELAY_MS;
    this.batcher = new SendBatcher(db, batch);
  }

  async access(actor: ChatActor, groupId: string, cache?: Map<string, GroupAccess>): Promise<GroupAccess> {
    const cached = cache?.get(groupId);
    if (cached) return cached;
    const access = await authorizeGroup(this.db, actor, groupId);
    cache?.set(groupId, access);
    return access;
  }

  async linkForGuest(token: string) {
    const link = await findLinkByToken(this.db, token);
    if (!link) throw new AppError(404, 'link_not_found', 'Link non valido');
    return link;
  }

  /** `from`: the socket it came through, which gets the message in its ack rather than by broadcast. */
  async send(actor: ChatActor, input: MessageSend, cache?: Map<string, GroupAccess>, from?: string): Promise<MessageDto> {
    const author: Author = { kind: actor.kind, id: actor.id, name: actor.name };
    if (input.linkToken) {
      if (actor.kind !== 'external') throw new AppError(400, 'validation_failed', 'Internal users write to a group, not to a link');
      const link = await this.linkForGuest(input.linkToken);
      if (!isLinkActive(link)) throw linkClosed();
      const existing = await findGuestGroup(this.db, link.id, actor.id);
      if (!existing) {
        // First message through the link: the group (and, for a template, the note) and the
        // message are made in one transaction.
        const { opened, stored } = await this.db.transaction(async (tx) => {
          const opened = await openGuestGroup(tx, link, actor);
          const stored = await storeMessage(this.db, { group: opened.group, author, clientId: input.clientId, body: input.body, attachmentIds: input.attachmentIds }, tx);
          return { opened, stored };
        });
        if (opened.created) this.hub.group(await readGroup(this.db, opened.group.id));
        this.after(stored, from);
        return stored.message;
      }
      input = { ...input, groupId: existing.id, linkToken: undefined };
    }
    const access = await this.access(actor, input.groupId!, cache);
    assertCanWrite(access);
    const stored =
      input.attachmentIds.length === 0
        ? await this.batcher.store({ group: access.group, author, clientId: input.clientId, body: input.body.trim() })
        : await storeMessage(this.db, { group: access.group, author, clientId: input.clientId, body: input.body, attachmentIds: input.attachmentIds });
    this.after(stored, from);
    return stored.message;
  }

  /**
   * Broadcast at once, and the notifications stored with the message told live; the context's
   * activity and offline emails follow without holding the ack, for the messages of afterDelayMs
   * together (a few statements, not a few per message).
   */
  private after(stored: StoredMessage, from?: string): void {
    if (!stored.created) return;
    this.hub.message(stored.message, from);
    for (const { userId, notification } of stored.notifications) this.hub.notify(userId, notification);
    this.afterQueue.push({ message: stored.message, contextId: stored.contextId });
    this.runAfter();
  }

  /**
   * One round at a time, afterDelayMs after the first message that waits for it: what arrives
   * meanwhile makes the round bigger. `now` starts it at once (settle).
   */
  private runAfter(now = false): void {
    if (this.afterRunning || this.afterQueue.length === 0) return;
    if (!now) {
      this.afterTimer ??= setTimeout(() => {
        this.afterTimer = null;
        this.runAfter(true);
      }, this.afterDelayMs);
      return;
    }
    if (this.afterTimer) clearTimeout(this.afterTimer);
    this.afterTimer = null;
    this.afterRunning = true;
    const work = this.afterBatch(this.afterQueue.splice(0, AFTER_BATCH)).finally(() => {
      this.pending.delete(work);
      this.afterRunning = false;
      this.runAfter();
    });
    this.pending.add(work);
  }

  private async afterBatch(items: { message: MessageDto; contextId: string }[]): Promise<void> {
    // Each step on its own: one failing (say, the activity time) must not cost the offline emails.
    const step = (name: string, fn: () => Promise<unknown>) =>
      fn().catch((err: unknown) => this.logger.error({ err, messageIds: items.map((i) => i.message.id), step: name }, 'after-send work failed'));
    await step('activity', () => touchContexts(this.db, items.map((i) => ({ contextId: i.contextId, at: i.message.createdAt }))));
    await step('listener', async () => this.listener?.onMessages(items.map((i) => i.message)));
  }

  /** Waits for the sends being stored and the after-send work (shutdown, tests). */
  async settle(): Promise<void> {
    await this.batcher.drain();
    for (;;) {
      this.runAfter(true);
      if (!this.pending.size) return;
      await Promise.allSettled([...this.pending]);
    }
  }

  async guestGroupId(actor: ChatActor, token: string): Promise<string | null> {
    if (actor.kind !== 'external') throw notFound('Group');
    const link = await this.linkForGuest(token);
    return (await findGuestGroup(this.db, link.id, actor.id))?.id ?? null;
  }
}
