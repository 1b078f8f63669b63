import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Tokens of ChatPro links, extension tokens, session cookies and sign-in codes are credentials:
 * never written to logs. Objects are censored by path; URLs go through `redactUrl`.
 */
export const REDACTED = '[redacted]';

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: {
      paths: [
        'req.headers.cookie',
        'req.headers.authorization',
        'headers.cookie',
        'headers.authorization',
        'headers["set-cookie"]',
        'res.headers["set-cookie"]',
        'token',
        '*.token',
        'linkToken',
        '*.linkToken',
        'code',
        'state',
        'nonce',
      ],
      censor: REDACTED,
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Query parameters that carry a credential: link and unsubscribe tokens, OIDC answers. */
const SECRET_PARAMS = new Set(['token', 'code', 'state', 'nonce', 'id_token', 'access_token', 'code_verifier', 'session_state', 'user', 'link', 'returnto']);

/** A URL fit for a log line: link tokens in paths (`/c/…`, `/api/guest/…`) and secret query values replaced. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).replace(/^(\/c\/|\/api\/guest\/)[^/?#]+/, `$1${REDACTED}`);
  if (q < 0) return path;
  const params = new URLSearchParams(url.slice(q + 1).split('#')[0]);
  for (const key of [...params.keys()]) if (SECRET_PARAMS.has(key.toLowerCase())) params.set(key, REDACTED);
  return `${path}?${params.toString()}`;
}
