import type { RequestHandler } from 'express';
import type { z } from 'zod';
import { badRequest } from './errors.ts';

/** Parses a value with a schema from `common`; a failure becomes a 400 naming each field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, what = 'request body'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = issues[0];
  throw badRequest(`Invalid ${what}${first ? `: ${first.path || '(root)'} ${first.message}` : ''}`, issues);
}

/** Whether a decoded JSON value holds a NUL character anywhere (PostgreSQL text cannot store it). */
export function holdsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 64 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some((v) => holdsNul(v, depth + 1));
  return Object.entries(value).some(([k, v]) => k.includes('\u0000') || holdsNul(v, depth + 1));
}

/** Refuses JSON bodies and query strings with NUL characters: 400, instead of a database error. */
export const refuseNul: RequestHandler = (req, _res, next) => {
  if (holdsNul(req.body) || holdsNul(req.query)) next(badRequest('Text may not contain NUL characters'));
  else next();
};
