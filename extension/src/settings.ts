/**
 * What the extension keeps, all in `storage.local`: the server address, the revocable token and
 * who it belongs to, and the context made for each draft (so a second click reuses it).
 */
import browser from 'webextension-polyfill';

export const DEFAULT_SERVER = 'http://localhost:3000';

export interface SignedInUser {
  id: string;
  name: string;
  email: string;
}
export interface DraftLink {
  contextId: string;
  linkId: string;
}
interface Stored {
  server?: string;
  token?: string;
  user?: SignedInUser;
  drafts?: Record<string, DraftLink>;
}

async function read(): Promise<Stored> {
  return (await browser.storage.local.get(['server', 'token', 'user', 'drafts'])) as Stored;
}

/** An http(s) origin without a trailing slash; throws on anything else. */
export function normalizeServer(value: string): string {
  const url = new URL(value.trim());
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('The server address must start with http:// or https://');
  return url.origin;
}

export async function getServer(): Promise<string> {
  return (await read()).server ?? DEFAULT_SERVER;
}

/** A new server forgets the token and drafts of the old one. */
export async function setServer(value: string): Promise<string> {
  const server = normalizeServer(value);
  if (server !== (await getServer())) {
    await browser.storage.local.remove(['token', 'user', 'drafts']);
  }
  await browser.storage.local.set({ server });
  return server;
}

export async function getToken(): Promise<string | null> {
  return (await read()).token ?? null;
}

export async function getUser(): Promise<SignedInUser | null> {
  return (await read()).user ?? null;
}

export async function saveSignIn(token: string, user: SignedInUser): Promise<void> {
  await browser.storage.local.set({ token, user });
}

export async function forgetSignIn(): Promise<void> {
  await browser.storage.local.remove(['token', 'user', 'drafts']);
}

export async function getDraftLink(draftKey: string): Promise<DraftLink | null> {
  return (await read()).drafts?.[draftKey] ?? null;
}

/** Keeps the newest 200 drafts: enough for any open compose windows, bounded storage. */
export async function setDraftLink(draftKey: string, link: DraftLink): Promise<void> {
  const drafts = { ...(await read()).drafts, [draftKey]: link };
  const keys = Object.keys(drafts);
  for (const k of keys.slice(0, Math.max(0, keys.length - 200))) delete drafts[k];
  await browser.storage.local.set({ drafts });
}
