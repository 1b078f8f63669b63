/** What the background worker does for each message; one function per request type. */
import browser from 'webextension-polyfill';
import type { ContextDto, ContextSummaryDto, LinkDto, MeDto, Page, UserDto } from '@chatpro/common';
import { api, ApiError } from '../api.ts';
import type { DraftInput, Request, Responses, Status } from '../messages.ts';
import { forgetSignIn, getDraftLink, getServer, getToken, getUser, saveSignIn, setDraftLink, setServer } from '../settings.ts';
import { whatsappShareUrl } from '../share.ts';
import { badge } from './badge.ts';

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const MAX_SUBJECT = 300;

export function signInUrl(server: string): string {
  const redirect = browser.runtime.getURL('/connected.html');
  return `${server}/extension/connect?redirect=${encodeURIComponent(redirect)}&name=${encodeURIComponent('Estensione ChatPro')}`;
}

async function status(): Promise<Status> {
  return { server: await getServer(), user: await getUser(), unread: badge.unread };
}

/** The body the server accepts for a draft: valid addresses only, a subject that is never empty. */
export function contextFromDraft(draft: DraftInput) {
  const addresses = (list: string[]) => [...new Set(list.map((a) => a.trim().toLowerCase()).filter((a) => EMAIL.test(a)))];
  return {
    kind: 'email' as const,
    subject: (draft.subject.trim() || '(senza oggetto)').slice(0, MAX_SUBJECT),
    bodyHtml: draft.bodyHtml.slice(0, 200_000),
    email: { to: addresses(draft.to), cc: addresses(draft.cc) },
  };
}

async function activate(draftKey: string, draft: DraftInput): Promise<Responses['compose:activate']> {
  const known = await getDraftLink(draftKey);
  if (known) {
    try {
      const link = await api<LinkDto>('GET', `/api/links/${known.linkId}`);
      return { contextId: known.contextId, link, reused: true };
    } catch (err) {
      // Deleted on the server meanwhile: make a new one.
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
  }
  const context = await api<ContextDto>('POST', '/api/contexts', contextFromDraft(draft));
  // No options: the server applies the user's defaults (expiry from Profilo > Opzioni).
  const link = await api<LinkDto>('POST', `/api/contexts/${context.id}/links`, {});
  await setDraftLink(draftKey, { contextId: context.id, linkId: link.id });
  void badge.refresh();
  return { contextId: context.id, link, reused: false };
}

async function acceptToken(token: string): Promise<Status> {
  const server = await getServer();
  const res = await fetch(`${server}/api/me`, { headers: { authorization: `Bearer ${token}` }, credentials: 'omit' });
  const me = (await res.json()) as MeDto;
  if (me.kind !== 'internal') throw new Error('Il token non è valido');
  await saveSignIn(token, { id: me.user.id, name: me.user.name, email: me.user.email });
  await badge.start();
  return status();
}

async function signOut(): Promise<Status> {
  if (await getToken()) {
    try {
      await api('DELETE', '/api/extension/token');
    } catch (err) {
      // Already revoked or the server is gone: forget it here anyway.
      console.warn('ChatPro: revoking the token failed', err);
    }
  }
  await forgetSignIn();
  badge.stop();
  return status();
}

export async function handle(request: Request): Promise<unknown> {
  switch (request.type) {
    case 'status':
      return status();
    case 'server:set':
      await setServer(request.server);
      badge.stop();
      return status();
    case 'signIn':
      await browser.tabs.create({ url: signInUrl(await getServer()) });
      return null;
    case 'token:received':
      return acceptToken(request.token);
    case 'signOut':
      return signOut();
    case 'compose:activate':
      return activate(request.draftKey, request.draft);
    case 'link:update':
      return api<LinkDto>('PATCH', `/api/links/${request.linkId}`, request.patch);
    case 'users':
      return (await api<{ items: UserDto[] }>('GET', '/api/users')).items;
    case 'contexts': {
      const page = await api<Page<ContextSummaryDto>>('GET', '/api/contexts?limit=20');
      badge.set(page.items.reduce((n, c) => n + c.unread, 0));
      return page.items;
    }
    case 'context:link': {
      const links = (await api<{ items: LinkDto[] }>('GET', `/api/contexts/${request.contextId}/links`)).items;
      return links.find((l) => l.active) ?? null;
    }
    case 'open:context':
      await browser.tabs.create({ url: `${await getServer()}/app/c/${encodeURIComponent(request.contextId)}` });
      return null;
    case 'share:whatsapp': {
      const url = whatsappShareUrl(request.subject, request.url);
      await browser.tabs.create({ url });
      return url;
    }
  }
}
