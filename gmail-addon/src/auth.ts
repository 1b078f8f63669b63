/**
 * Google's ID tokens on add-on requests, verified for real: signature against Google's published
 * certificates (fetched from a configurable URL and cached), issuer, expiry, audience. The system
 * token in the Authorization header must be for the add-on's service account and have the
 * endpoint URL as audience; the user's token (`authorizationEventObject.userIdToken`) has the
 * add-on's OAuth client id as audience.
 */
import type { Request } from 'express';
import type { OAuth2Client, TokenPayload } from 'google-auth-library';

export const GOOGLE_ISSUERS = ['accounts.google.com', 'https://accounts.google.com'];
export const DEFAULT_GOOGLE_CERTS_URL = 'https://www.googleapis.com/oauth2/v1/certs';

/** Raised for every failed check; the router answers 401 with no data. */
export class AddonAuthError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'AddonAuthError';
  }
}

/** The endpoint URL Google signed the token for, as the client reached it (proxies included: Express `trust proxy`). */
export function endpointUrl(req: Request): string {
  const path = req.originalUrl.split('?')[0]!;
  return `${req.protocol}://${req.host}${path}`;
}

export function bearerToken(req: Request): string {
  const header = req.get('authorization') ?? '';
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header);
  if (!match) throw new AddonAuthError('missing bearer token');
  return match[1]!;
}

interface CachedCerts {
  certs: Record<string, string>;
  expiresAt: number;
  fetchedAt: number;
}

const MIN_REFETCH_MS = 30_000;

export class GoogleIdTokenVerifier {
  /** Loaded on first use: the server starts without paying for Google's libraries when the add-on is idle. */
  private client: Promise<OAuth2Client> | null = null;
  private cached: CachedCerts | null = null;
  private loading: Promise<CachedCerts> | null = null;

  constructor(private readonly certsUrl: string = DEFAULT_GOOGLE_CERTS_URL) {}

  private async fetchCerts(): Promise<CachedCerts> {
    const res = await fetch(this.certsUrl, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`Google certificates: HTTP ${res.status} from ${this.certsUrl}`);
    const body = (await res.json()) as unknown;
    if (!body || typeof body !== 'object' || Object.values(body).some((v) => typeof v !== 'string')) {
      throw new Error(`Google certificates: ${this.certsUrl} did not answer a map of PEM certificates`);
    }
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1] ?? 3600);
    const now = Date.now();
    return { certs: body as Record<string, string>, expiresAt: now + maxAge * 1000, fetchedAt: now };
  }

  private async certs(kid: string | undefined): Promise<Record<string, string>> {
    const now = Date.now();
    const stale = !this.cached || now >= this.cached.expiresAt;
    // A key id we do not know may be a rotation: look again, but not more than twice a minute.
    const unknownKid = this.cached && kid && !(kid in this.cached.certs) && now - this.cached.fetchedAt > MIN_REFETCH_MS;
    if (stale || unknownKid) {
      this.loading ??= this.fetchCerts().finally(() => (this.loading = null));
      this.cached = await this.loading;
    }
    return this.cached!.certs;
  }

  /** Verifies signature, issuer, expiry and audience; answers the claims. */
  async verify(token: string, audience: string): Promise<TokenPayload> {
    let kid: string | undefined;
    try {
      kid = (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid?: string }).kid;
    } catch {
      throw new AddonAuthError('malformed token');
    }
    const certs = await this.certs(kid);
    this.client ??= import('google-auth-library').then((m) => new m.OAuth2Client());
    const client = await this.client;
    try {
      const ticket = await client.verifySignedJwtWithCertsAsync(token, certs, audience, GOOGLE_ISSUERS);
      const payload = ticket.getPayload();
      if (!payload) throw new Error('no payload');
      return payload;
    } catch (err) {
      // google-auth-library's messages quote the token: keep only the first words.
      const reason = err instanceof Error ? err.message.split(/[:,]/)[0]!.slice(0, 80) : 'invalid token';
      throw new AddonAuthError(reason);
    }
  }
}
