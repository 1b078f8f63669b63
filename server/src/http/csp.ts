/**
 * Content-Security-Policy of every response: scripts only from this server (never inline, never
 * eval), so that markup slipped past the escaping still cannot run. Styles may be inline: the
 * sanitized email bodies and the server's small HTML pages carry style attributes, and a style
 * cannot run code. Pages that need a third-party script name exactly that origin.
 */
import type { RequestHandler } from 'express';

export interface CspOptions {
  /** Origins allowed to run scripts and be fetched besides this server (e.g. Office.js's CDN). */
  scriptOrigins?: string[];
  /** Who may frame the page besides this server. */
  frameAncestors?: string[];
}

export function contentSecurityPolicy(opts: CspOptions = {}): string {
  const scripts = ["'self'", ...(opts.scriptOrigins ?? [])].join(' ');
  return [
    "default-src 'self'",
    `script-src ${scripts}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${opts.scriptOrigins?.length ? ` ${opts.scriptOrigins.join(' ')}` : ''}`,
    "object-src 'none'",
    "base-uri 'none'",
    `frame-ancestors ${["'self'", ...(opts.frameAncestors ?? [])].join(' ')}`,
  ].join('; ');
}

const DEFAULT_POLICY = contentSecurityPolicy();

/** Sets the default policy; a route that needs another one (files, the Outlook pages) replaces it. */
export const cspHeader: RequestHandler = (_req, res, next) => {
  res.set('Content-Security-Policy', DEFAULT_POLICY);
  next();
};
