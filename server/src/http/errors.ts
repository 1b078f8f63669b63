/**
 * Errors are values with an HTTP status and a stable code. Routes throw these; one middleware
 * turns them (and anything else) into `{ error: { code, message } }`.
 */
import type { ErrorCode } from '@chatpro/common';
import { isDatabaseUnavailable } from '../db/index.ts';

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly issues?: { path: string; message: string }[],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (message: string, issues?: { path: string; message: string }[]) =>
  new AppError(400, 'validation_failed', message, issues);
export const unauthenticated = (message = 'Sign in first') => new AppError(401, 'unauthenticated', message);
export const forbidden = (message = 'You may not do this') => new AppError(403, 'forbidden', message);
export const notFound = (what = 'Resource') => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (message: string, code: ErrorCode = 'conflict') => new AppError(409, code, message);
export const payloadTooLarge = (limit: number) =>
  new AppError(413, 'payload_too_large', `The upload is larger than the limit of ${limit} bytes`);

/** Seconds a client is told to wait (Retry-After) while the database is out of reach. */
export const DATABASE_RETRY_AFTER_S = 5;

/** The database is out of reach (stopped, restarting): a 503 the client may retry, not a 500. */
export const databaseUnavailable = () =>
  new AppError(503, 'database_unavailable', 'The database is unavailable for a moment; try again shortly');

/** Turns a driver error of a database out of reach into `databaseUnavailable()`; null for anything else. */
export function asDatabaseUnavailable(err: unknown): AppError | null {
  return !(err instanceof AppError) && isDatabaseUnavailable(err) ? databaseUnavailable() : null;
}
