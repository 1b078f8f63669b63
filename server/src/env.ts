/**
 * Configuration, read and validated once. Every problem is listed together and the process
 * exits non-zero; secrets have no defaults in production.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).optional(),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
    PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    TRUST_PROXY: z.string().default('false'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(25 * 1024 * 1024),
    DEV_IDP: bool.optional(),
    DEMO_DATA: bool.optional(),
    GOOGLE_CLIENT_ID: z.string().min(1).optional(),
    GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
    GOOGLE_ISSUER: z.url().default('https://accounts.google.com'),
    MICROSOFT_CLIENT_ID: z.string().min(1).optional(),
    MICROSOFT_CLIENT_SECRET: z.string().min(1).optional(),
    MICROSOFT_TENANT: z.string().min(1).default('organizations'),
    APPLE_CLIENT_ID: z.string().min(1).optional(),
    APPLE_TEAM_ID: z.string().min(1).optional(),
    APPLE_KEY_ID: z.string().min(1).optional(),
    APPLE_PRIVATE_KEY: z.string().min(1).optional(),
    APPLE_ISSUER: z.url().default('https://appleid.apple.com'),
    // Gmail add-on (issue 8)
    GMAIL_ADDON_SERVICE_ACCOUNT: z.email({ error: 'must be the add-on service account email' }).optional(),
    GMAIL_ADDON_OAUTH_CLIENT_ID: z.string().min(1).optional(),
    GOOGLE_CERTS_URL: z.url({ protocol: /^https?$/ }).default('https://www.googleapis.com/oauth2/v1/certs'),
    GMAIL_API_ROOT_URL: z.url({ protocol: /^https?$/ }).default('https://gmail.googleapis.com/'),
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\/[^/?#]+/, 'must be an smtp:// or smtps:// URL')
      .optional(),
    MAIL_FROM: z.string().min(3).max(320).default('ChatPro <chatpro@localhost>'),
    MAIL_REPLY_DOMAIN: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i, 'must be a domain name such as reply.example.com')
      .optional(),
    MAIL_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    GUEST_EMAIL_DELAY_MS: z.coerce.number().int().min(0).default(2 * 60_000),
    GUEST_EMAIL_INTERVAL_MS: z.coerce.number().int().min(0).default(15 * 60_000),
    MAIL_WORKER_POLL_MS: z.coerce.number().int().min(10).default(5_000),
    INBOUND_SMTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    INBOUND_SMTP_HOST: z.string().min(1).optional(),
    INBOUND_SMTP_TLS_KEY: z.string().min(1).optional(),
    INBOUND_SMTP_TLS_CERT: z.string().min(1).optional(),
    // Abuse limits (issue 10): requests per RATE_LIMIT_WINDOW_MS, counted per process.
    RATE_LIMIT_WINDOW_MS: z.coerce.number().int().min(100).default(60_000),
    RATE_LIMIT_LINK_PER_IP: z.coerce.number().int().min(1).default(60),
    RATE_LIMIT_LINK_PER_USER: z.coerce.number().int().min(1).default(30),
    RATE_LIMIT_SIGNIN_PER_IP: z.coerce.number().int().min(1).default(30),
    RATE_LIMIT_SEND_PER_IP: z.coerce.number().int().min(1).default(600),
    RATE_LIMIT_SEND_PER_USER: z.coerce.number().int().min(1).default(120),
    RATE_LIMIT_UPLOAD_PER_IP: z.coerce.number().int().min(1).default(60),
    RATE_LIMIT_UPLOAD_PER_USER: z.coerce.number().int().min(1).default(30),
    SOCKET_EVENTS_PER_SECOND: z.coerce.number().positive().default(20),
    SOCKET_EVENT_BURST: z.coerce.number().int().min(1).default(60),
    SOCKET_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(1024).default(1_000_000),
    SESSION_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(14 * 24 * 3600 * 1000),
    SESSION_ABSOLUTE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30 * 24 * 3600 * 1000),
  });

type RawEnv = Record<string, string | undefined>;

/** Rules across variables, checked on the raw input so that they are listed with every other problem. */
function crossFieldProblems(env: RawEnv): string[] {
  const problems: string[] = [];
  const truthy = (v: string | undefined) => v === 'true' || v === '1' || v === 'yes';
  if (env.NODE_ENV === 'production') {
    if (!env.SESSION_SECRET) problems.push('SESSION_SECRET: is required in production');
    if (!env.PUBLIC_URL) problems.push('PUBLIC_URL: is required in production');
    if (truthy(env.DEV_IDP)) problems.push('DEV_IDP: the development identity provider is refused in production');
    if (!env.MAIL_SECRET) problems.push('MAIL_SECRET: is required in production');
  }
  if (Boolean(env.INBOUND_SMTP_TLS_KEY) !== Boolean(env.INBOUND_SMTP_TLS_CERT)) {
    problems.push(`${env.INBOUND_SMTP_TLS_KEY ? 'INBOUND_SMTP_TLS_CERT' : 'INBOUND_SMTP_TLS_KEY'}: is required with the other one`);
  }
  const groups: [string, string[]][] = [
    ['Google', ['GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET']],
    ['Microsoft', ['MICROSOFT_CLIENT_ID', 'MICROSOFT_CLIENT_SECRET']],
    ['Apple', ['APPLE_CLIENT_ID', 'APPLE_TEAM_ID', 'APPLE_KEY_ID', 'APPLE_PRIVATE_KEY']],
  ];
  for (const [name, keys] of groups) {
    const missing = keys.filter((k) => !env[k]);
    if (missing.length > 0 && missing.length < keys.length) {
      for (const k of missing) problems.push(`${k}: is required when ${name} sign-in is configured`);
    }
  }
  if (env.GMAIL_ADDON_SERVICE_ACCOUNT && !env.GMAIL_ADDON_OAUTH_CLIENT_ID) {
    problems.push('GMAIL_ADDON_OAUTH_CLIENT_ID: is required when the Gmail add-on is enabled (GMAIL_ADDON_SERVICE_ACCOUNT)');
  }
  return problems;
}

export interface OidcProviderConfig {
  id: 'google' | 'microsoft' | 'apple';
  label: string;
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** Apple only: signs the client secret JWT. */
  apple?: { teamId: string; keyId: string; privateKey: string };
  audiences: ('internal' | 'external')[];
}

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string | undefined;
  dataDir: string;
  database: { kind: 'pglite'; dataDir: string | null } | { kind: 'postgres'; url: string };
  /** Fixed public URL; when absent the server uses http://localhost:<port>. */
  publicUrl: string | undefined;
  sessionSecret: string;
  trustProxy: boolean | number | string;
  logLevel: string;
  maxUploadBytes: number;
  devIdp: boolean;
  demoData: boolean;
  providers: OidcProviderConfig[];
  /** Gmail add-on: enabled when its service account is configured. */
  gmailAddon: GmailAddonConfig | null;
  mail: MailConfig;
  limits: LimitsConfig;
  session: SessionConfig;
}

/** A number of requests allowed per window. */
export interface RateRule {
  limit: number;
  windowMs: number;
}

export interface LimitsConfig {
  /** Link-token guessing: lookups of tokens that do not exist (then GET /c/:token and /api/guest/:token… are refused). */
  link: { perIp: RateRule; perUser: RateRule };
  /** /auth/:provider/login and /callback. */
  signIn: { perIp: RateRule };
  /** Messages (HTTP and socket) and emails sent. */
  send: { perIp: RateRule; perUser: RateRule };
  uploads: { perIp: RateRule; perUser: RateRule };
  /** Token bucket of every socket: events refilled per second, and the bucket's size. */
  socket: { eventsPerSecond: number; burst: number; maxPayloadBytes: number };
}

export interface SessionConfig {
  /** Without a request (or socket event) for this long, a session ends. */
  idleTimeoutMs: number;
  /** However active, a session ends this long after sign-in. */
  absoluteTimeoutMs: number;
}

export interface GmailAddonConfig {
  serviceAccountEmail: string;
  oauthClientId: string;
  certsUrl: string;
  gmailApiRootUrl: string;
}

export interface MailConfig {
  /** A real SMTP server (TLS options as URL query, e.g. `?tls.rejectUnauthorized=false`); null writes .eml files to `outboxDir`. */
  smtpUrl: string | null;
  outboxDir: string;
  from: string;
  /** Domain of the reply-by-email addresses; null: notification emails carry no reply address. */
  replyDomain: string | null;
  /** HMAC key of reply addresses and unsubscribe links. */
  secret: string;
  guestDelayMs: number;
  guestIntervalMs: number;
  pollMs: number;
  /** The inbound SMTP listener for replies; null when off. */
  inbound: { port: number; host: string | undefined; tls: { key: string; cert: string } | null } | null;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function parseTrustProxy(value: string): boolean | number | string {
  if (value === 'true') return true;
  if (value === 'false' || value === '') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/** A development secret that survives restarts, so that signing in again is not needed. */
function devSessionSecret(dataDir: string): string {
  const file = path.join(dataDir, 'session-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, secret, { mode: 0o600 });
    return secret;
  }
}

/** Parses the environment; throws ConfigError naming every wrong or missing variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const input = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(input);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(environment)'}: ${i.message}`)),
    ...crossFieldProblems(input),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const env = parsed.data;
  const dataDir = path.resolve(env.DATA_DIR);
  const embedded = !env.DATABASE_URL;
  const providers: OidcProviderConfig[] = [];
  if (env.GOOGLE_CLIENT_ID && env.GOOGLE_CLIENT_SECRET) {
    providers.push({
      id: 'google',
      label: 'Google',
      issuer: env.GOOGLE_ISSUER,
      clientId: env.GOOGLE_CLIENT_ID,
      clientSecret: env.GOOGLE_CLIENT_SECRET,
      audiences: ['internal', 'external'],
    });
  }
  if (env.MICROSOFT_CLIENT_ID && env.MICROSOFT_CLIENT_SECRET) {
    providers.push({
      id: 'microsoft',
      label: 'Microsoft',
      issuer: `https://login.microsoftonline.com/${env.MICROSOFT_TENANT}/v2.0`,
      clientId: env.MICROSOFT_CLIENT_ID,
      clientSecret: env.MICROSOFT_CLIENT_SECRET,
      audiences: ['internal', 'external'],
    });
  }
  if (env.APPLE_CLIENT_ID && env.APPLE_TEAM_ID && env.APPLE_KEY_ID && env.APPLE_PRIVATE_KEY) {
    providers.push({
      id: 'apple',
      label: 'Apple',
      issuer: env.APPLE_ISSUER,
      clientId: env.APPLE_CLIENT_ID,
      apple: { teamId: env.APPLE_TEAM_ID, keyId: env.APPLE_KEY_ID, privateKey: env.APPLE_PRIVATE_KEY.replace(/\\n/g, '\n') },
      audiences: ['external'],
    });
  }
  const production = env.NODE_ENV === 'production';
  const sessionSecret = env.SESSION_SECRET ?? devSessionSecret(dataDir);
  const inbound =
    env.INBOUND_SMTP_PORT === undefined
      ? null
      : {
          port: env.INBOUND_SMTP_PORT,
          host: env.INBOUND_SMTP_HOST ?? env.HOST,
          tls: env.INBOUND_SMTP_TLS_KEY && env.INBOUND_SMTP_TLS_CERT ? { key: env.INBOUND_SMTP_TLS_KEY, cert: env.INBOUND_SMTP_TLS_CERT } : null,
        };
  const rule = (limit: number): RateRule => ({ limit, windowMs: env.RATE_LIMIT_WINDOW_MS });
  const publicHost = env.PUBLIC_URL ? new URL(env.PUBLIC_URL).hostname : 'localhost';
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    dataDir,
    database: env.DATABASE_URL ? { kind: 'postgres', url: env.DATABASE_URL } : { kind: 'pglite', dataDir: path.join(dataDir, 'pglite') },
    publicUrl: env.PUBLIC_URL?.replace(/\/+$/, ''),
    sessionSecret,
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    logLevel: env.LOG_LEVEL,
    maxUploadBytes: env.MAX_UPLOAD_BYTES,
    devIdp: env.DEV_IDP ?? (!production && embedded),
    demoData: env.DEMO_DATA ?? (!production && embedded),
    providers,
    gmailAddon:
      env.GMAIL_ADDON_SERVICE_ACCOUNT && env.GMAIL_ADDON_OAUTH_CLIENT_ID
        ? {
            serviceAccountEmail: env.GMAIL_ADDON_SERVICE_ACCOUNT,
            oauthClientId: env.GMAIL_ADDON_OAUTH_CLIENT_ID,
            certsUrl: env.GOOGLE_CERTS_URL,
            gmailApiRootUrl: env.GMAIL_API_ROOT_URL,
          }
        : null,
    mail: {
      smtpUrl: env.SMTP_URL ?? null,
      outboxDir: path.join(dataDir, 'outbox'),
      from: env.MAIL_FROM,
      // With an inbound listener and no domain named, replies go to the public host.
      replyDomain: (env.MAIL_REPLY_DOMAIN ?? (inbound ? publicHost : null))?.toLowerCase() ?? null,
      // Outside production, derived from the session secret so that it survives restarts like it.
      secret: env.MAIL_SECRET ?? createHmac('sha256', sessionSecret).update('chatpro mail secret').digest('base64url'),
      guestDelayMs: env.GUEST_EMAIL_DELAY_MS,
      guestIntervalMs: env.GUEST_EMAIL_INTERVAL_MS,
      pollMs: env.MAIL_WORKER_POLL_MS,
      inbound,
    },
    limits: {
      link: { perIp: rule(env.RATE_LIMIT_LINK_PER_IP), perUser: rule(env.RATE_LIMIT_LINK_PER_USER) },
      signIn: { perIp: rule(env.RATE_LIMIT_SIGNIN_PER_IP) },
      send: { perIp: rule(env.RATE_LIMIT_SEND_PER_IP), perUser: rule(env.RATE_LIMIT_SEND_PER_USER) },
      uploads: { perIp: rule(env.RATE_LIMIT_UPLOAD_PER_IP), perUser: rule(env.RATE_LIMIT_UPLOAD_PER_USER) },
      socket: { eventsPerSecond: env.SOCKET_EVENTS_PER_SECOND, burst: env.SOCKET_EVENT_BURST, maxPayloadBytes: env.SOCKET_MAX_PAYLOAD_BYTES },
    },
    session: { idleTimeoutMs: env.SESSION_IDLE_TIMEOUT_MS, absoluteTimeoutMs: env.SESSION_ABSOLUTE_TIMEOUT_MS },
  };
}
