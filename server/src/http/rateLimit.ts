/**
 * Abuse limits: fixed-window counters per IP and per user for link-token guessing, sign-in,
 * sending and uploading, and a token bucket per socket. Counters live in this process's memory:
 * with N processes behind a balancer a client gets at most N times a limit (README, "Abuse
 * limits"); that bounds guessing and flooding just as well, at no database cost per request.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import express, { type Request, type RequestHandler } from 'express';
import type { LimitsConfig, RateRule } from '../env.ts';
import { AppError } from './errors.ts';

/** Refused for being too fast; `retryAfter` is in whole seconds. */
export class RateLimitedError extends AppError {
  constructor(readonly retryAfter: number) {
    super(429, 'rate_limited', `Too many requests: try again in ${retryAfter} s`);
  }
}

export class RateCounter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private sweepAt = 0;

  constructor(readonly rule: RateRule) {}

  /** Counts one attempt by `key`: 0 when allowed, else the seconds until its window ends. */
  hit(key: string, now = Date.now()): number {
    if (now >= this.sweepAt) {
      for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
      this.sweepAt = now + this.rule.windowMs;
    }
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + this.rule.windowMs };
      this.windows.set(key, w);
    }
    w.count += 1;
    return w.count > this.rule.limit ? Math.max(1, Math.ceil((w.resetAt - now) / 1000)) : 0;
  }

  /** Without counting: 0 while `key` may go on, else the seconds until its window ends. */
  peek(key: string, now = Date.now()): number {
    const w = this.windows.get(key);
    return w && w.resetAt > now && w.count >= this.rule.limit ? Math.max(1, Math.ceil((w.resetAt - now) / 1000)) : 0;
  }
}

/** Who a request counts as: `u:` internal, `x:` guest, `t:` an extension token; null when nobody. */
export function userKeyOf(req: Request): string | null {
  const auth = req.get('authorization');
  if (auth) return `t:${createHash('sha256').update(auth).digest('base64url').slice(0, 22)}`;
  if (req.session?.userId) return `u:${req.session.userId}`;
  if (req.session?.externalUserId) return `x:${req.session.externalUserId}`;
  return null;
}

export type LimitKind = 'link' | 'signIn' | 'send' | 'uploads';

export class Limits {
  private readonly counters: Record<LimitKind, { perIp: RateCounter; perUser: RateCounter | null }>;

  constructor(readonly config: LimitsConfig) {
    const pair = (c: { perIp: RateRule; perUser?: RateRule }) => ({ perIp: new RateCounter(c.perIp), perUser: c.perUser ? new RateCounter(c.perUser) : null });
    this.counters = { link: pair(config.link), signIn: pair(config.signIn), send: pair(config.send), uploads: pair(config.uploads) };
  }

  /** Counts one attempt against both the IP's and the user's budget; throws when either is spent. */
  check(kind: LimitKind, who: { ip: string | undefined; user: string | null }): void {
    const c = this.counters[kind];
    const wait = Math.max(c.perIp.hit(who.ip ?? 'unknown'), who.user && c.perUser ? c.perUser.hit(who.user) : 0);
    if (wait > 0) throw new RateLimitedError(wait);
  }

  /**
   * Link-token guessing: every request by token is refused once the IP or the user has asked for
   * too many tokens that do not exist (404); a guest using a real link is never counted.
   */
  linkGuard(): RequestHandler {
    const { perIp, perUser } = this.counters.link;
    return (req, res, next) => {
      const ip = req.ip ?? 'unknown';
      const user = userKeyOf(req);
      const wait = Math.max(perIp.peek(ip), user && perUser ? perUser.peek(user) : 0);
      if (wait > 0) {
        res.set('Retry-After', String(wait));
        return next(new RateLimitedError(wait));
      }
      res.once('finish', () => {
        if (res.statusCode !== 404) return;
        perIp.hit(ip);
        if (user) perUser?.hit(user);
      });
      next();
    };
  }

  /** Middleware for `app.use(paths, …)`: counts the requests of the given methods (all when none). */
  http(kind: LimitKind, methods?: string[]): RequestHandler {
    return (req, res, next) => {
      if (methods && !methods.includes(req.method)) return next();
      try {
        this.check(kind, { ip: req.ip, user: userKeyOf(req) });
        next();
      } catch (err) {
        if (err instanceof RateLimitedError) res.set('Retry-After', String(err.retryAfter));
        next(err);
      }
    };
  }
}

/** A socket's budget of events: `ratePerSecond` come back each second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token: 0 when there was one, else the seconds until the next one comes. */
  take(now = Date.now()): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.ratePerSecond));
  }
}

type TrustFn = (addr: string, i: number) => boolean;

/**
 * The client's address of a raw request (a socket.io handshake) by the same `trust proxy` rule
 * as Express's `req.ip`: walk X-Forwarded-For from the nearest hop while the hop is trusted.
 */
export function clientIpOf(trustProxy: boolean | number | string): (req: IncomingMessage) => string {
  const trust = express().set('trust proxy', trustProxy).get('trust proxy fn') as TrustFn;
  return (req) => {
  const forwarded = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .reverse();
  const hops = [req.socket.remoteAddress ?? 'unknown', ...forwarded];
  for (let i = 0; i < hops.length - 1; i++) if (!trust(hops[i]!, i)) return hops[i]!;
  return hops[hops.length - 1]!;
  };
}
