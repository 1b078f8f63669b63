/**
 * OpenID Connect relying party (openid-client): authorization code flow with PKCE, state and
 * nonce, for Google, Microsoft, Apple and the development provider.
 */
import { importPKCS8, SignJWT } from 'jose';
import * as client from 'openid-client';
import type { OidcProviderConfig } from '../env.ts';

export interface RelyingParty {
  id: string;
  label: string;
  audiences: ('internal' | 'external')[];
  /** Apple answers with a cross-site form POST. */
  formPost: boolean;
  configuration(): Promise<client.Configuration>;
}

function insecureIfHttp(issuer: string): client.DiscoveryRequestOptions | undefined {
  return issuer.startsWith('http://') ? { execute: [client.allowInsecureRequests] } : undefined;
}

/** Apple's client secret: an ES256 JWT signed with the team's key, valid at most six months. */
export async function appleClientSecret(apple: NonNullable<OidcProviderConfig['apple']>, clientId: string, issuer: string): Promise<string> {
  const key = await importPKCS8(apple.privateKey, 'ES256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: apple.keyId })
    .setIssuer(apple.teamId)
    .setSubject(clientId)
    .setAudience(issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(key);
}

export function createRelyingParty(p: OidcProviderConfig): RelyingParty {
  let metadata: Promise<client.Configuration> | undefined;
  const discover = () => {
    metadata ??= client
      .discovery(new URL(p.issuer), p.clientId, undefined, client.None(), insecureIfHttp(p.issuer))
      .catch((err: unknown) => {
        metadata = undefined; // try again on the next sign-in
        throw err;
      });
    return metadata;
  };
  return {
    id: p.id,
    label: p.label,
    audiences: p.audiences,
    formPost: p.id === 'apple',
    async configuration() {
      const discovered = await discover();
      const auth = p.apple
        ? client.ClientSecretPost(await appleClientSecret(p.apple, p.clientId, p.issuer))
        : client.ClientSecretPost(p.clientSecret!);
      const config = new client.Configuration(discovered.serverMetadata(), p.clientId, {}, auth);
      if (p.issuer.startsWith('http://')) client.allowInsecureRequests(config);
      return config;
    },
  };
}

/** This server's own listener, as reached from itself. */
export function ownOrigin(host: string | undefined, port: number): string {
  const address = !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${address}:${port}`;
}

/**
 * The development provider's relying party; its client secret is made at start. The provider
 * lives in this very process, so the server calls it on `localOrigin` (its own listener) rather
 * than through the public URL, which behind a TLS proxy it may not be able to reach itself.
 */
export function createDevRelyingParty(issuer: string, clientId: string, clientSecret: string, localOrigin?: string): RelyingParty {
  let config: Promise<client.Configuration> | undefined;
  const publicOrigin = new URL(issuer).origin;
  const options: client.DiscoveryRequestOptions = { ...insecureIfHttp(issuer) };
  if (localOrigin && publicOrigin.startsWith('https:')) {
    // Loopback only: plain http to ourselves is fine.
    options.execute = [client.allowInsecureRequests];
    options[client.customFetch] = (url, init) => {
      const local = url.startsWith(publicOrigin) ? localOrigin + url.slice(publicOrigin.length) : url;
      const headers = new Headers(init.headers);
      // The provider builds its answers for the public URL, as it would behind the proxy.
      headers.set('x-forwarded-proto', new URL(publicOrigin).protocol.slice(0, -1));
      headers.set('x-forwarded-host', new URL(publicOrigin).host);
      return fetch(local, { ...init, headers } as RequestInit);
    };
  }
  return {
    id: 'dev',
    label: 'Provider di sviluppo',
    audiences: ['internal', 'external'],
    formPost: false,
    configuration() {
      config ??= client
        .discovery(new URL(issuer), clientId, clientSecret, undefined, options)
        .catch((err: unknown) => {
          config = undefined;
          throw err;
        });
      return config;
    },
  };
}
