/**
 * Stand-ins for Google in tests, on port 0: a certificates endpoint publishing a key the test
 * made (tokens are signed with it and verified for real), and a Gmail API answering
 * `users.messages.get` from fixtures in the Gmail API's JSON shape.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportSPKI, generateKeyPair, type JWTPayload } from 'jose';
import type { GmailMessage } from '../gmailMessage.ts';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

export interface TokenOptions {
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  /** Sign with a key Google does not publish. */
  foreignKey?: boolean;
}

export interface FakeGoogle {
  certsUrl: string;
  /** How many times the certificates were fetched. */
  certFetches: number;
  sign(claims: JWTPayload & { email?: string; email_verified?: boolean; name?: string }, opts?: TokenOptions): Promise<string>;
  close(): Promise<void>;
}

export async function startFakeGoogle(): Promise<FakeGoogle> {
  const kid = randomBytes(8).toString('hex');
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const foreign = await generateKeyPair('RS256');
  const pem = await exportSPKI(publicKey);
  const fake = {
    certsUrl: '',
    certFetches: 0,
    async sign(claims: JWTPayload, opts: TokenOptions = {}) {
      const now = Math.floor(Date.now() / 1000);
      const expiresIn = opts.expiresIn ?? 3600;
      return new SignJWT({ iss: 'https://accounts.google.com', ...claims })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuedAt(Math.min(now, now + expiresIn - 60))
        .setExpirationTime(now + expiresIn)
        .sign(opts.foreignKey ? foreign.privateKey : privateKey);
    },
    close: async () => close(server),
  };
  const server = createServer((req, res) => {
    fake.certFetches++;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=3600' });
    res.end(JSON.stringify({ [kid]: pem }));
  });
  fake.certsUrl = `${await listen(server)}/oauth2/v1/certs`;
  return fake;
}

export interface GmailRequest {
  path: string;
  authorization: string | undefined;
  gmailAccessToken: string | undefined;
}

export interface FakeGmailApi {
  rootUrl: string;
  messages: Map<string, GmailMessage>;
  requests: GmailRequest[];
  /** The tokens a request must carry; others get 401 like Gmail. */
  expect: { oauthToken: string; accessToken: string };
  close(): Promise<void>;
}

export async function startFakeGmailApi(): Promise<FakeGmailApi> {
  const api: FakeGmailApi = {
    rootUrl: '',
    messages: new Map(),
    requests: [],
    expect: { oauthToken: 'ya29.user-oauth-token', accessToken: 'gmail-access-token' },
    close: async () => close(server),
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const authorization = req.headers.authorization;
    const gmailAccessToken = req.headers['x-goog-gmail-access-token'] as string | undefined;
    api.requests.push({ path: `${url.pathname}${url.search}`, authorization, gmailAccessToken });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (authorization !== `Bearer ${api.expect.oauthToken}` || gmailAccessToken !== api.expect.accessToken) {
      return json(401, { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } });
    }
    const match = /^\/gmail\/v1\/users\/me\/messages\/([^/]+)$/.exec(url.pathname);
    const message = match ? api.messages.get(decodeURIComponent(match[1]!)) : undefined;
    if (!message) return json(404, { error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' } });
    return json(200, message);
  });
  api.rootUrl = `${await listen(server)}/`;
  return api;
}
