import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    // Tokens of ChatPro links and session cookies are credentials: never write them to logs.
    redact: { paths: ['req.headers.cookie', 'req.headers.authorization', 'token', '*.token'], censor: '[redacted]' },
  });
}
