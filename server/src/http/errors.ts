/**
 * Errors are values with an HTTP status and a stable code. Routes throw these; one middleware
 * turns them (and anything else) into `{ error: { code, message } }`.
 */
import type { ErrorCode } from '@chatpro/common';

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
