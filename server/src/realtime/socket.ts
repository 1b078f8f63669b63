/**
 * Socket events, one handler each. Every payload is checked with its schema from `common`; a bad
 * one gets an error ack and the connection keeps working.
 */
import { holdsNul } from '../http/validate.ts';
import { ChatJoin, ContextWatch, MessageSend, MessagesSince, ReadUpTo, Typing, type ErrorAck } from '@chatpro/common';
import type { IncomingMessage } from 'node:http';
import type { Session, SessionData } from 'express-session';
import type { z } from 'zod';
import type { Db } from '../db/index.ts';
import { AppError, asDatabaseUnavailable } from '../http/errors.ts';
import type { Logger } from '../logger.ts';
import { liveExtensionToken, loadActor } from '../http/auth.ts';
import { authorizeContext } from '../policies/contextPolicy.ts';
import type { ChatActor } from '../policies/groupPolicy.ts';
import { findGuestGroup, markRead, messagesSince, readGroup } from '../services/chat.ts';
import { resumeAcrossMerge } from '../services/groups.ts';
import type { ChatService } from './chatService.ts';
import { rooms, SessionWatch, type ChatServer, type Hub } from './hub.ts';
import { RateLimitedError, TokenBucket, type Limits } from '../http/rateLimit.ts';
import { sessionRoomKey, type SessionLifetime } from '../auth/sessionLifetime.ts';

type SessionRequest = IncomingMessage & { session?: Session & Partial<SessionData>; sessionID?: string };
type AnyAck = (res: unknown) => void;
type ChatSocket = Parameters<Parameters<ChatServer['use']>[0]>[0];

export const SOCKET_ERRORS = { unauthenticated: 'unauthenticated' } as const;

/**
 * Messages per `chat:join` answer. A page is one statement; a client back after a long absence
 * (a thousand messages missed) resumes in one round trip instead of five.
 */
export const JOIN_PAGE_SIZE = 1000;

function errorAck(err: unknown, logger: Logger): ErrorAck {
  if (err instanceof RateLimitedError) return { ok: false, error: { code: err.code, message: err.message, retryAfter: err.retryAfter } };
  if (err instanceof AppError) return { ok: false, error: { code: err.code, message: err.message } };
  const unavailable = asDatabaseUnavailable(err);
  if (unavailable) {
    logger.warn({ err: (err as Error).message }, 'socket handler: database unavailable');
    return { ok: false, error: { code: unavailable.code, message: unavailable.message } };
  }
  logger.error({ err }, 'socket handler failed');
  return { ok: false, error: { code: 'internal_error', message: 'Something went wrong on our side' } };
}

export interface SocketDeps {
  db: Db;
  chat: ChatService;
  hub: Hub;
  logger: Logger;
  limits: Limits;
  lifetime: SessionLifetime;
  /** The client's address by the `trust proxy` rule. */
  ipOf: (req: IncomingMessage) => string;
}

/** Longest a timer waits before the session's deadline is looked at again. */
const MAX_TIMER_MS = 6 * 3600 * 1000;

export function registerSocketHandlers(io: ChatServer, deps: SocketDeps): void {
  const { db, chat, hub, logger, limits, lifetime } = deps;
  const touchEvery = Math.min(60_000, lifetime.config.idleTimeoutMs / 4);

  io.use((socket, next) => {
    // The browser extension's background worker: an extension token, internal users only.
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (token !== undefined) {
      if (typeof token !== 'string') return next(new Error(SOCKET_ERRORS.unauthenticated));
      liveExtensionToken(db, token).then(
        (row) => {
          if (!row) return next(new Error(SOCKET_ERRORS.unauthenticated));
          void socket.join(rooms.extensionToken(row.id));
          socket.data.internalUserId = row.userId;
          socket.data.externalUserId = undefined;
          socket.data.access = new Map();
          next();
        },
        (err: unknown) => next(err instanceof Error ? err : new Error(String(err))),
      );
      return;
    }
    const request = socket.request as SessionRequest & { sessionStore?: unknown; sessionID?: string; _parsedOriginalUrl?: unknown; _parsedUrl?: unknown };
    const session = request.session;
    // One browser may hold both identities (an internal user trying a link): the page says which it speaks as.
    const as = (socket.handshake.auth as { as?: unknown } | undefined)?.as;
    socket.data.internalUserId = as === 'external' ? undefined : session?.userId;
    socket.data.externalUserId = as === 'internal' ? undefined : session?.externalUserId;
    const sid = request.sessionID;
    // The identity, and what its lifetime needs, is all a socket keeps of its session: the request
    // (kept by socket.io for the socket's whole life) lets go of the session object, which
    // thousands of idle guests would keep.
    if (sid && session) socket.data.session = new SessionWatch(sid, { cookie: { expires: session.cookie?.expires }, signedInAt: session.signedInAt } as SessionData);
    delete request.session;
    delete request.sessionStore;
    delete request.sessionID;
    // (and of the parsed URL express-session cached on it)
    delete request._parsedOriginalUrl;
    delete request._parsedUrl;
    if (!socket.data.internalUserId && !socket.data.externalUserId) return next(new Error(SOCKET_ERRORS.unauthenticated));
    if (!sid || !session || lifetime.deadline(session) <= Date.now()) return next(new Error(SOCKET_ERRORS.unauthenticated));
    // Signing out (on any process) disconnects the sockets of that session.
    void socket.join(rooms.session(sessionRoomKey(sid)));
    socket.data.access = new Map();
    next();
  });

  /**
   * The events a client sends, each with its schema and its handler. The listeners are made once
   * and shared by every socket (socket.io calls a listener with its socket as `this`): what a
   * socket keeps of its own is in `socket.data`, so that an idle guest costs no closures per event.
   */
  const listeners: [string, (this: ChatSocket, raw: unknown, maybeAck?: unknown) => void][] = [];

  /** Validates, runs, and answers through the ack; never lets an error escape. */
  function on<S extends z.ZodType>(event: string, schema: S, handler: (socket: ChatSocket, actor: ChatActor, payload: z.output<S>) => Promise<unknown>) {
    listeners.push([
      event,
      function (this: ChatSocket, raw: unknown, maybeAck?: unknown) {
        const ack: AnyAck = typeof maybeAck === 'function' ? (maybeAck as AnyAck) : () => {};
        if (holdsNul(raw)) {
          ack({ ok: false, error: { code: 'validation_failed', message: `Invalid ${event}: text may not contain NUL characters` } });
          return;
        }
        const parsed = schema.safeParse(raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          ack({ ok: false, error: { code: 'validation_failed', message: `Invalid ${event}: ${issue ? `${issue.path.join('.') || '(payload)'} ${issue.message}` : ''}` } });
          return;
        }
        void run(this, ack, handler, parsed.data);
      },
    ]);
  }

  async function run<P>(socket: ChatSocket, ack: AnyAck, handler: (socket: ChatSocket, actor: ChatActor, payload: P) => Promise<unknown>, payload: P): Promise<void> {
    try {
      const actor = await socket.data.actor;
      if (!actor) throw new AppError(401, 'unauthenticated', 'Sign in first');
      ack({ ok: true, ...((await handler(socket, actor, payload)) as object) });
    } catch (err) {
      ack(errorAck(err, logger));
    }
  }

  on('chat:join', ChatJoin, async (socket, actor, p) => {
    let groupId = p.groupId ?? null;
    if (p.linkToken) {
      if (actor.kind !== 'external') throw new AppError(400, 'validation_failed', 'Internal users open a group, not a link');
      const link = await chat.linkForGuest(p.linkToken);
      groupId = (await findGuestGroup(db, link.id, actor.id))?.id ?? null;
      if (!groupId) return { group: null, messages: [], hasMore: false };
    }
    const access = await chat.access(actor, groupId!, socket.data.access);
    await socket.join(rooms.group(access.group.id));
    if (actor.kind === 'internal') await socket.join(rooms.context(access.group.contextId));
    // The client knew a group that has since been merged: exactly what it lacks, and new numbers.
    const page =
      access.group.id !== groupId && p.sinceSeq > 0
        ? await resumeAcrossMerge(db, groupId!, access.group.id, p.sinceSeq)
        : await messagesSince(db, access.group.id, p.sinceSeq, JOIN_PAGE_SIZE);
    return { group: await readGroup(db, access.group.id), ...page };
  });

  on('context:watch', ContextWatch, async (socket, actor, p) => {
    if (actor.kind !== 'internal') throw new AppError(403, 'forbidden', 'Only viewers watch a context');
    await authorizeContext(db, actor, p.contextId);
    await socket.join(rooms.context(p.contextId));
    return {};
  });

  on('messages:since', MessagesSince, async (socket, actor, p) => {
    const access = await chat.access(actor, p.groupId, socket.data.access);
    return messagesSince(db, access.group.id, p.sinceSeq, p.limit);
  });

  on('message:send', MessageSend, async (socket, actor, p) => {
    limits.check('send', { ip: socket.data.ip!, user: `${actor.kind === 'internal' ? 'u' : 'x'}:${actor.id}` });
    return { message: await chat.send(actor, p, socket.data.access, socket.id) };
  });

  on('typing', Typing, async (socket, actor, p) => {
    const access = await chat.access(actor, p.groupId, socket.data.access);
    hub.typing({ groupId: access.group.id, author: { kind: actor.kind, id: actor.id, name: actor.name }, typing: p.typing }, socket.id);
    return {};
  });

  on('read', ReadUpTo, async (socket, actor, p) => {
    const access = await chat.access(actor, p.groupId, socket.data.access);
    const seq = await markRead(db, access.group.id, actor, p.seq);
    if (seq !== null) hub.read({ groupId: access.group.id, memberId: actor.id, kind: actor.kind, seq });
    return { seq };
  });

  io.on('connection', (socket) => {
    socket.data.ip = deps.ipOf(socket.request);
    // Each socket's own budget of events; past it, an error ack (with retryAfter) and nothing done.
    const bucket = new TokenBucket(limits.config.socket.eventsPerSecond, limits.config.socket.burst);
    const watching = watchSession(socket);
    socket.use((packet, next) => {
      const wait = bucket.take();
      if (wait !== 0) {
        const ack = packet[packet.length - 1];
        if (typeof ack === 'function') (ack as AnyAck)(errorAck(new RateLimitedError(wait), logger));
        return;
      }
      next();
      if (watching) touchSession(socket);
    });
    const actor = loadActor(db, { userId: socket.data.internalUserId, externalUserId: socket.data.externalUserId });
    socket.data.actor = actor;
    actor.then(
      (found) => {
        if (!found) return socket.disconnect(true);
        void socket.join(found.kind === 'internal' ? rooms.user(found.id) : rooms.ext(found.id));
      },
      // The database is out of reach: the client reconnects (and resumes) once it is back.
      (err: unknown) => {
        logger.warn({ err: (err as Error).message }, 'socket: could not load the user');
        socket.disconnect(true);
      },
    );
    for (const [event, listener] of listeners) socket.on(event as 'typing', listener);
  });

  /**
   * A session socket lives as long as its session: disconnected at the idle or absolute deadline
   * (looked up again then, since other tabs may have used it), and its events count as activity.
   * The timer and the time of the last touch are kept in `socket.data.session`, and these functions
   * are shared by every socket.
   */
  function watchSession(socket: ChatSocket): boolean {
    const watch = socket.data.session;
    if (!watch || socket.handshake.auth?.token !== undefined) return false;
    scheduleCheck(socket, lifetime.deadline(watch.data));
    socket.on('disconnect', stopWatching);
    return true;
  }

  function stopWatching(this: ChatSocket): void {
    clearTimeout(this.data.session?.timer);
  }

  function scheduleCheck(socket: ChatSocket, deadline: number): void {
    const watch = socket.data.session!;
    clearTimeout(watch.timer);
    // (a touch answered after the socket went away arms nothing that would keep it)
    if (socket.disconnected) return;
    watch.timer = setTimeout(checkSession, Math.max(0, Math.min(deadline - Date.now(), MAX_TIMER_MS)), socket);
    watch.timer.unref();
  }

  async function checkSession(socket: ChatSocket): Promise<void> {
    try {
      const current = await lifetime.load(socket.data.session!.sid);
      const deadline = current && (current.userId || current.externalUserId) ? lifetime.deadline(current) : 0;
      if (deadline <= Date.now()) socket.disconnect(true);
      else scheduleCheck(socket, deadline);
    } catch (err) {
      logger.warn({ err }, 'session check failed');
      scheduleCheck(socket, Date.now() + 60_000);
    }
  }

  /** An event of the socket's: the session's idle deadline moves on, at most once per `touchEvery`. */
  function touchSession(socket: ChatSocket): void {
    const watch = socket.data.session!;
    if (Date.now() - watch.touchedAt < touchEvery) return;
    watch.touchedAt = Date.now();
    lifetime.touch(watch.sid, watch.data).then(
      (deadline) => scheduleCheck(socket, deadline),
      (err: unknown) => logger.warn({ err }, 'session touch failed'),
    );
  }
}
