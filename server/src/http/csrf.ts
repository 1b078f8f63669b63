import type { RequestHandler } from 'express';
import { AppError } from './errors.ts';
import { hasBearer } from './bearer.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses state-changing browser requests that come from another site. Browsers send Origin
 * on every cross-site POST/PUT/PATCH/DELETE and Sec-Fetch-Site on all modern engines; requests
 * without either come from non-browser clients, which carry no ambient cookies to abuse.
 * Requests with `Authorization` (the browser extension's bearer token) are exempt: the token is
 * no ambient credential, and such a request is never served as the session's user (see auth.ts).
 */
export function csrfProtection(allowedOrigin: () => string): RequestHandler {
  return (req, _res, next) => {
    if (SAFE.has(req.method) || hasBearer(req)) return next();
    const origin = req.get('origin');
    if (origin !== undefined) {
      if (origin !== allowedOrigin()) return next(new AppError(403, 'csrf_failed', 'Cross-site request refused'));
      return next();
    }
    const site = req.get('sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      return next(new AppError(403, 'csrf_failed', 'Cross-site request refused'));
    }
    next();
  };
}
