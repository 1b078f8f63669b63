/**
 * How long a session lives: it ends after `idleTimeoutMs` without a request or socket event
 * (the rolling cookie and the store's expiry), and `absoluteTimeoutMs` after sign-in however
 * active it is. An ended session makes requests anonymous (401) and its sockets are dropped.
 */
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import type session from 'express-session';
import type { SessionConfig } from '../env.ts';

declare module 'express-session' {
  interface SessionData {
    /** Epoch ms of the sign-in that made this session. */
    signedInAt?: number;
  }
}

/** The name a session goes by in socket.io rooms (which travel through the database between processes). */
export const sessionRoomKey = (sid: string) => createHash('sha256').update(sid).digest('base64url').slice(0, 22);

export class SessionLifetime {
  constructor(
    readonly config: SessionConfig,
    private readonly store: session.Store,
  ) {}

  /** Past its absolute lifetime a session is replaced by an empty one: the request goes on signed out. */
  middleware(): RequestHandler {
    return (req, _res, next) => {
      const s = req.session;
      if (!s || (!s.userId && !s.externalUserId)) return next();
      if (s.signedInAt === undefined) {
        s.signedInAt = Date.now(); // a session from before this rule: its lifetime starts now
        return next();
      }
      if (Date.now() - s.signedInAt < this.config.absoluteTimeoutMs) return next();
      s.regenerate((err) => next(err));
    };
  }

  /** When a session ends unless used again: the idle deadline or the absolute one, whichever is first. */
  deadline(data: Partial<session.SessionData>, now = Date.now()): number {
    const idle = data.cookie?.expires ? new Date(data.cookie.expires).getTime() : now + this.config.idleTimeoutMs;
    const absolute = (data.signedInAt ?? now) + this.config.absoluteTimeoutMs;
    return Math.min(idle, absolute);
  }

  /** The session as the store has it now (another process or tab may have used or ended it). */
  load(sid: string): Promise<session.SessionData | null> {
    return new Promise((resolve, reject) => this.store.get(sid, (err, data) => (err ? reject(err as Error) : resolve(data ?? null))));
  }

  /** A socket event counts as activity: the stored session's idle deadline moves on (never recreating an ended one). */
  touch(sid: string, data: session.SessionData): Promise<number> {
    const expires = new Date(Date.now() + this.config.idleTimeoutMs);
    const next = { ...data, cookie: { ...data.cookie, expires } } as session.SessionData;
    return new Promise((resolve, reject) => {
      if (!this.store.touch) return resolve(this.deadline(data));
      this.store.touch(sid, next, (err?: unknown) => (err ? reject(err as Error) : resolve(this.deadline(next))));
    });
  }
}
