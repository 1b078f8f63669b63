/**
 * express-session store kept in the database, so that sessions survive restarts and are shared
 * by every server process.
 */
import { eq, lt, sql } from 'drizzle-orm';
import session from 'express-session';
import type { Db } from '../db/index.ts';
import { sessions } from '../db/schema.ts';

const DEFAULT_TTL_MS = 14 * 24 * 3600 * 1000;

function expiryOf(data: session.SessionData): Date {
  const expires = data.cookie?.expires;
  return expires ? new Date(expires) : new Date(Date.now() + DEFAULT_TTL_MS);
}

type Callback<T = void> = (err?: unknown, value?: T) => void;

export class DbSessionStore extends session.Store {
  private readonly pruneTimer: NodeJS.Timeout;

  constructor(private readonly db: Db) {
    super();
    this.pruneTimer = setInterval(() => void this.prune().catch(() => {}), 15 * 60 * 1000);
    this.pruneTimer.unref();
  }

  async prune(): Promise<void> {
    await this.db.delete(sessions).where(lt(sessions.expiresAt, new Date()));
  }

  stop(): void {
    clearInterval(this.pruneTimer);
  }

  override get(sid: string, cb: Callback<session.SessionData | null>): void {
    this.db
      .select()
      .from(sessions)
      .where(eq(sessions.sid, sid))
      .then(([row]) => {
        if (!row || row.expiresAt.getTime() <= Date.now()) return cb(null, null);
        cb(null, row.data as session.SessionData);
      }, cb);
  }

  override set(sid: string, data: session.SessionData, cb: Callback = () => {}): void {
    const expiresAt = expiryOf(data);
    const json = JSON.parse(JSON.stringify(data)) as object;
    this.db
      .insert(sessions)
      .values({ sid, data: json, expiresAt })
      .onConflictDoUpdate({ target: sessions.sid, set: { data: json, expiresAt } })
      .then(() => cb(), cb);
  }

  override touch(sid: string, data: session.SessionData, cb: Callback = () => {}): void {
    const expiresAt = expiryOf(data);
    // The stored cookie's expiry moves too: whoever reads the session (a socket checking its
    // deadline) sees the same end as the row's expires_at.
    this.db
      .update(sessions)
      .set({ expiresAt, data: sql`jsonb_set(${sessions.data}, '{cookie,expires}', ${JSON.stringify(expiresAt.toISOString())}::jsonb)` })
      .where(eq(sessions.sid, sid))
      .then(() => cb(), cb);
  }

  override destroy(sid: string, cb: Callback = () => {}): void {
    this.db
      .delete(sessions)
      .where(eq(sessions.sid, sid))
      .then(() => cb(), cb);
  }
}
