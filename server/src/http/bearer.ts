/** Bearer tokens of the browser extension: how they are read from a request and how they are kept. */
import { createHash, randomBytes } from 'node:crypto';
import type { Request } from 'express';

export const EXTENSION_TOKEN_PREFIX = 'cpx_';

/** The token of `Authorization: Bearer <token>`, '' for a malformed one, null when there is none. */
export function bearerToken(req: Request): string | null {
  const header = req.get('authorization');
  if (header === undefined) return null;
  const match = /^Bearer\s+([A-Za-z0-9_-]{16,200})\s*$/i.exec(header);
  return match ? match[1]! : '';
}

export function hasBearer(req: Request): boolean {
  return req.get('authorization') !== undefined;
}

export function newExtensionToken(): string {
  return EXTENSION_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashExtensionToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
