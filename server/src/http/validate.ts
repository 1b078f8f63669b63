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
