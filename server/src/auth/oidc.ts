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

/** The development provider's relying party; its client secret is made at start. */
export function createDevRelyingParty(issuer: string, clientId: string, clientSecret: string): RelyingParty {
  let config: Promise<client.Configuration> | undefined;
  return {
    id: 'dev',
    label: 'Provider di sviluppo',
    audiences: ['internal', 'external'],
    formPost: false,
    configuration() {
      config ??= client
        .discovery(new URL(issuer), clientId, clientSecret, undefined, insecureIfHttp(issuer))
        .catch((err: unknown) => {
          config = undefined;
          throw err;
        });
      return config;
    },
  };
}
