/**
 * Broadcasting: the one place that knows the socket.io rooms.
 *   group:<id>  sockets that opened a group        user:<id>  every socket of an internal user
 *   ext:<id>    every socket of an external user   context:<id> sockets that opened a context
 *   extension-token:<id>  the sockets a browser extension opened with that token
 *   session:<key>  the sockets opened with one browser session (key: a hash of its id)
 */
import type { ClientToServerEvents, GroupDto, MessageDto, NotificationDto, ServerToClientEvents } from '@chatpro/common';
import type { SessionData } from 'express-session';
import type { Server } from 'socket.io';
import type { ChatActor, GroupAccess } from '../policies/groupPolicy.ts';

export interface SocketData {
  internalUserId?: string;
  externalUserId?: string;
  /** Membership checks cached per socket; dropped when a link or a group changes. */
  access: Map<string, GroupAccess>;
  /** The session a browser socket came with (not an extension token's), and its watch. */
  session?: SessionWatch;
  /** Who the socket speaks for, as loaded when it connected (null: nobody any more). */
  actor?: Promise<ChatActor | null>;
  /** The client's address, by the `trust proxy` rule. */
  ip?: string;
}

/**
 * A browser socket's session: its id and lifetime fields, the timer of its next check and when an
 * event of the socket's last touched it. None of it leaves the process: socket.io hands a socket's
 * `data` to the other processes as JSON (`fetchSockets`), and a live timer is circular, an id secret.
 */
export class SessionWatch {
  timer?: NodeJS.Timeout;
  touchedAt = Date.now();
  constructor(
    readonly sid: string,
    readonly data: SessionData,
  ) {}

  toJSON(): undefined {
    return undefined;
  }
}

/** What a cached membership check is dropped for: its group, or the link it went through. */
export type ForgetRule = { groupIds: string[] } | { linkId: string };

/** Between ChatPro processes (through the postgres adapter); never seen by clients. */
export interface InterServerEvents {
  'hub:forget': (rule: ForgetRule) => void;
  /** A tick's messages, in the order they were broadcast here. */
  'hub:messages': (messages: MessageDto[]) => void;
  /** A tick's other room events (notifications among them), in the order they were told here. */
  'hub:emit': (events: RoomEvent[]) => void;
  /** Which of these guests have a socket here. */
  'hub:online': (externalUserIds: string[], answer: (online: string[]) => void) => void;
}

/**
 * The room events other than messages (which keep their group's order): told live, and read again
 * from the database by whoever missed one.
 */
type RoomEventName = 'typing' | 'read' | 'group:changed' | 'link:changed' | 'notification:new';
/** One of them, and the rooms whose sockets hear it. */
type RoomEvent = { [E in RoomEventName]: { to: string[]; event: E; payload: Parameters<ServerToClientEvents[E]>[0] } }[RoomEventName];

/**
 * What this process tells the others, gathered over one loop turn and handed on together: one
 * serverSideEmit (one NOTIFY) a tick, not one per item.
 */
class PerTick<T> {
  private items: T[] = [];
  constructor(private readonly flush: (items: T[]) => void) {}

  add(item: T): void {
    this.items.push(item);
    if (this.items.length > 1) return;
    setImmediate(() => {
      const all = this.items;
      this.items = [];
      this.flush(all);
    });
  }
}

/** A message waiting here for an earlier one of its group, and the socket it came from. */
interface Held {
  message: MessageDto;
  from: string | undefined;
}

/** Where a group's broadcasts stand on this process: the next number due, and those held for it. */
interface GroupOrder {
  next: number;
  held: Map<number, Held>;
  timer?: NodeJS.Timeout;
  touched: number;
}

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Longest a message waits here for an earlier one of its group before it goes out anyway. */
const REORDER_WAIT_MS = 250;

export const rooms = {
  group: (id: string) => `group:${id}`,
  user: (id: string) => `user:${id}`,
  ext: (id: string) => `ext:${id}`,
  context: (id: string) => `context:${id}`,
  extensionToken: (id: string) => `extension-token:${id}`,
  session: (key: string) => `session:${key}`,
};

export class Hub {
  /**
   * @param clustered other processes share the database: the membership caches they keep must
   *   hear of every change made here (serverSideEmit, handled by each of them in `forget`).
   */
  constructor(
    readonly io: ChatServer,
    private readonly clustered = false,
  ) {
    io.on('hub:forget', (rule) => this.forgetHere(rule));
    io.on('hub:messages', (messages) => {
      for (const m of messages) this.messageHere(m);
    });
    io.on('hub:emit', (events) => {
      for (const e of events) this.emitHere(e);
    });
    io.on('hub:online', (ids, answer) => answer(Array.isArray(ids) ? ids.filter((id) => typeof id === 'string' && this.connectedHere(id)) : []));
  }

  /** Messages broadcast here this tick, and the other room events told here, for the other processes. */
  private readonly messagesOut = new PerTick<MessageDto>((messages) => this.toOthers((io) => io.serverSideEmit('hub:messages', messages)));
  private readonly eventsOut = new PerTick<RoomEvent>((events) => this.toOthers((io) => io.serverSideEmit('hub:emit', events)));

  /**
   * The sockets of this process get the message at once; the other processes through one
   * serverSideEmit per tick. (A plain `io.to(room).emit` with the postgres adapter would hold the
   * local delivery until the NOTIFY round trip to the database is done, and make one per message.)
   * `from`: the socket that sent it, which has it in its ack and is left out (the sender's other
   * sockets, other tabs and devices, get it like everyone).
   */
  message(message: MessageDto, from?: string): void {
    this.messageHere(message, from);
    if (this.clustered) this.messagesOut.add(message);
  }

  /**
   * A serverSideEmit, made only when another process is there to hear it: a process alone on
   * its database (the usual deployment) then spends no NOTIFY round trip per tick. The adapter
   * counts the processes it has heard from (each announces itself when it starts, before it
   * listens, and every 2 s after) and forgets one silent for 6 s.
   */
  private toOthers(emit: (io: ChatServer) => void): void {
    void this.io
      .of('/')
      .adapter.serverCount()
      .then((n) => {
        if (n > 1) emit(this.io);
      });
  }

  /**
   * Per group, the next sequence number this process's sockets expect, and messages that came
   * early (concurrent sends commit in one order and reach here in another, and a message from
   * another process comes later than a local one). Held ones go out in order, or after
   * REORDER_WAIT_MS at the latest: a client never waits long, and resumes by sequence anyway.
   */
  private readonly order = new Map<string, GroupOrder>();

  private messageHere(message: MessageDto, from?: string): void {
    let state = this.order.get(message.groupId);
    if (!state || message.seq < state.next) {
      // First message of this group seen here (or an old one re-sent): nothing to wait for.
      if (!state) {
        state = { next: message.seq + 1, held: new Map(), touched: Date.now() };
        this.order.set(message.groupId, state);
        this.prune();
      }
      this.messageOut(message, from);
      return;
    }
    state.touched = Date.now();
    state.held.set(message.seq, { message, from });
    this.release(message.groupId, state, false);
  }

  private release(groupId: string, state: GroupOrder, force: boolean): void {
    for (;;) {
      let m = state.held.get(state.next);
      if (!m && force && state.held.size > 0) {
        // The gap did not fill in time: skip to the lowest held message.
        state.next = Math.min(...state.held.keys());
        m = state.held.get(state.next);
      }
      if (!m) break;
      state.held.delete(state.next);
      state.next += 1;
      this.messageOut(m.message, m.from);
      force = false;
    }
    clearTimeout(state.timer);
    state.timer = state.held.size > 0 ? setTimeout(() => this.release(groupId, state, true), REORDER_WAIT_MS) : undefined;
    state.timer?.unref();
  }

  /** Forgets groups idle for ten minutes, so that the map stays as large as the live groups. */
  private prune(): void {
    if (this.order.size < 10_000) return;
    const cutoff = Date.now() - 10 * 60_000;
    for (const [id, st] of this.order) if (st.touched < cutoff && st.held.size === 0) this.order.delete(id);
  }

  private messageOut(message: MessageDto, from?: string): void {
    const to = this.io.local.to(rooms.group(message.groupId));
    (from ? to.except(from) : to).emit('message:new', message);
  }

  /**
   * A room event: the sockets of this process hear it at once, the other processes with the rest
   * of the tick's (as messages do, and for the same reasons: a plain `io.to(room).emit` through
   * the postgres adapter holds the local delivery until its NOTIFY is done, drops it when the
   * database is out of reach, and makes one NOTIFY per event even for a process alone).
   * `except`: the socket that caused it, which already knows.
   */
  private emit(event: RoomEvent, except?: string): void {
    this.emitHere(event, except);
    if (this.clustered) this.eventsOut.add(event);
  }

  private emitHere({ to, event, payload }: RoomEvent, except?: string): void {
    const local = this.io.local.to(to);
    // (one event name at a time for the compiler: the pair is a RoomEvent)
    (except ? local.except(except) : local).emit(event as 'typing', payload as Parameters<ServerToClientEvents['typing']>[0]);
  }

  /** Someone is typing in a group (or stopped): the group's other sockets hear it. */
  typing(payload: Parameters<ServerToClientEvents['typing']>[0], from: string): void {
    this.emit({ to: [rooms.group(payload.groupId)], event: 'typing', payload }, from);
  }

  /** A member read a group up to a seq: the group's sockets hear it (the reader's other tabs too). */
  read(payload: Parameters<ServerToClientEvents['read']>[0]): void {
    this.emit({ to: [rooms.group(payload.groupId)], event: 'read', payload });
  }

  /** A revoked extension token stops hearing at once, not at its next reconnect. */
  extensionTokenRevoked(tokenId: string): void {
    this.io.in(rooms.extensionToken(tokenId)).disconnectSockets(true);
  }

  /** A session ended (sign-out): its sockets, on every process, are disconnected. */
  sessionEnded(sessionKey: string): void {
    this.io.in(rooms.session(sessionKey)).disconnectSockets(true);
  }

  /** A notification to an internal user: the sockets of that user, on every process. */
  notify(userId: string, notification: NotificationDto): void {
    this.emit({ to: [rooms.user(userId)], event: 'notification:new', payload: notification });
  }

  /** A new or changed group: its members' sockets join it, and whoever has the context open hears of it. */
  group(group: GroupDto): void {
    // A merge appends messages that are never broadcast: the order starts afresh.
    this.order.delete(group.id);
    const room = rooms.group(group.id);
    for (const m of group.members) {
      const memberRoom = m.kind === 'internal' ? rooms.user(m.id) : rooms.ext(m.id);
      // Here at once (the cluster adapter applies its own joins only after the NOTIFY went out,
      // and this process's broadcasts do not wait for that), then on every other process.
      this.io.local.in(memberRoom).socketsJoin(room);
      if (this.clustered) this.io.in(memberRoom).socketsJoin(room);
    }
    const memberRooms = group.members.map((m) => (m.kind === 'internal' ? rooms.user(m.id) : rooms.ext(m.id)));
    this.emit({ to: [rooms.context(group.contextId), ...memberRooms], event: 'group:changed', payload: group });
    this.forget({ groupIds: [group.id] });
  }

  /** Groups merged into another: cached checks on them now point at the wrong group. */
  merged(groupIds: string[]): void {
    this.forget({ groupIds });
  }

  /** A link's settings changed: who has its context open hears of it (the lock icon). */
  link(link: { id: string; contextId: string | null; active: boolean; expiresAt: string }): void {
    this.forget({ linkId: link.id });
    if (link.contextId) this.emit({ to: [rooms.context(link.contextId)], event: 'link:changed', payload: { linkId: link.id, active: link.active, expiresAt: link.expiresAt } });
  }

  /**
   * Which of these guests have a socket connected: here first, then the rest on the other
   * processes, in one question for all of them. Each answers with ids, never with its sockets
   * (`fetchSockets` would ship each socket's handshake, cookies included, and its data through
   * the database). A process that does not answer in time (killed, and not yet forgotten) counts
   * as holding none: an offline email waits its delay and asks again before it is sent.
   */
  async connectedGuests(externalUserIds: string[]): Promise<Set<string>> {
    const online = new Set(externalUserIds.filter((id) => this.connectedHere(id)));
    const elsewhere = externalUserIds.filter((id) => !online.has(id));
    if (elsewhere.length === 0 || !this.clustered) return online;
    let answers: string[][];
    try {
      answers = await this.io.serverSideEmitWithAck('hub:online', elsewhere);
    } catch (err) {
      // (the answers that did come)
      answers = (err as { responses?: string[][] }).responses ?? [];
    }
    const asked = new Set(elsewhere);
    for (const ids of answers) if (Array.isArray(ids)) for (const id of ids) if (asked.has(id)) online.add(id);
    return online;
  }

  private connectedHere(externalUserId: string): boolean {
    return (this.io.of('/').adapter.rooms.get(rooms.ext(externalUserId))?.size ?? 0) > 0;
  }

  /** Drops cached membership checks on every process's sockets. */
  private forget(rule: ForgetRule): void {
    this.forgetHere(rule);
    if (this.clustered) this.io.serverSideEmit('hub:forget', rule);
  }

  private forgetHere(rule: ForgetRule): void {
    const match =
      'linkId' in rule ? (access: GroupAccess) => access.link?.id === rule.linkId : (access: GroupAccess) => rule.groupIds.includes(access.group.id);
    for (const socket of this.io.of('/').sockets.values()) {
      const cache = socket.data.access;
      if (!cache) continue;
      for (const [key, access] of cache) if (match(access)) cache.delete(key);
      // Cached under the id the client used, which a merge has retired.
      if (!('linkId' in rule)) for (const id of rule.groupIds) cache.delete(id);
    }
  }
}
