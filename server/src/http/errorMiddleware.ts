import type { ErrorRequestHandler, RequestHandler } from 'express';
import { redactUrl, type Logger } from '../logger.ts';
import { AppError, asDatabaseUnavailable, DATABASE_RETRY_AFTER_S, notFound } from './errors.ts';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

/** The one place where errors become responses: `{ error: { code, message } }`, never a stack. */
export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    let appError: AppError;
    if (err instanceof AppError) appError = err;
    else {
      const e = err as BodyParserError;
      if (e?.type === 'entity.parse.failed') appError = new AppError(400, 'invalid_json', 'The body is not valid JSON');
      else if (e?.type === 'entity.too.large') appError = new AppError(413, 'payload_too_large', 'The body is too large');
      else if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported')
        appError = new AppError(415, 'unsupported_media_type', 'Unsupported body encoding');
      else if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
        // A client error raised by Express itself or a parser (e.g. a malformed %-escape in the path).
        appError = new AppError(e.status, e.status === 404 ? 'not_found' : e.status === 413 ? 'payload_too_large' : 'bad_request', e.status === 400 ? 'Malformed request' : e.message);
      } else {
        const unavailable = asDatabaseUnavailable(err);
        const url = redactUrl(req.originalUrl);
        if (unavailable) logger.warn({ method: req.method, url, err: (err as Error).message }, 'database unavailable');
        else logger.error({ err, method: req.method, url }, 'request failed');
        appError = unavailable ?? new AppError(500, 'internal_error', 'Something went wrong on our side');
      }
    }
    const body: { error: { code: string; message: string; issues?: unknown } } = {
      error: { code: appError.code, message: appError.message },
    };
    if (appError.issues) body.error.issues = appError.issues;
    if (appError.code === 'database_unavailable') res.set('Retry-After', String(DATABASE_RETRY_AFTER_S));
    res.status(appError.status).json(body);
  };
}

export const apiNotFound: RequestHandler = (req, _res, next) => next(notFound(`Route ${req.method} ${req.path}`));
