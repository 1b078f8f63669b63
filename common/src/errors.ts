/**
 * Stable error codes returned by every endpoint as `{ error: { code, message } }`.
 * Clients switch on the code, never on the message.
 */
export const ERROR_CODES = [
  'validation_failed',
  'invalid_json',
  'unauthenticated',
  'forbidden',
  'csrf_failed',
  'not_found',
  'conflict',
  'link_not_found',
  'link_closed',
  'rate_limited',
  'payload_too_large',
  'unsupported_media_type',
  'content_type_mismatch',
  'provider_not_configured',
  'sign_in_failed',
  'not_a_member',
  'last_viewer',
  'database_unavailable',
  'mail_failed',
  'bad_request',
  'internal_error',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  error: { code: ErrorCode; message: string; issues?: { path: string; message: string }[] };
}

/** A refused API call as the browser clients see it: the HTTP status and the server's stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
