/**
 * The messages that content scripts, the popup and the options page send to the background
 * worker, the only part that talks to the server (it holds the token; the host pages never see it).
 */
import browser from 'webextension-polyfill';
import type { ContextSummaryDto, LinkDto, UserDto } from '@chatpro/common';
import type { SignedInUser } from './settings.ts';

export interface DraftInput {
  subject: string;
  to: string[];
  cc: string[];
  bodyHtml: string;
}
export interface LinkPatch {
  subject?: string;
  showBody?: boolean;
  expiresAt?: string;
  notifyUserIds?: string[];
}
export interface Status {
  server: string;
  user: SignedInUser | null;
  unread: number;
}

export type Request =
  | { type: 'status' }
  | { type: 'server:set'; server: string }
  | { type: 'signIn' }
  | { type: 'token:received'; token: string }
  | { type: 'signOut' }
  | { type: 'compose:activate'; draftKey: string; draft: DraftInput }
  | { type: 'link:update'; linkId: string; patch: LinkPatch }
  | { type: 'users' }
  | { type: 'contexts' }
  | { type: 'context:link'; contextId: string }
  | { type: 'open:context'; contextId: string }
  | { type: 'share:whatsapp'; subject: string; url: string };

export interface Responses {
  status: Status;
  'server:set': Status;
  signIn: null;
  'token:received': Status;
  signOut: Status;
  'compose:activate': { contextId: string; link: LinkDto; reused: boolean };
  'link:update': LinkDto;
  users: UserDto[];
  contexts: ContextSummaryDto[];
  'context:link': LinkDto | null;
  'open:context': null;
  'share:whatsapp': string;
}

export type Reply<T> = { ok: true; value: T } | { ok: false; error: string };

/** Sends a request to the background and unwraps its reply (errors come back as values). */
export async function ask<R extends Request>(request: R): Promise<Responses[R['type']]> {
  const reply = (await browser.runtime.sendMessage(request)) as Reply<Responses[R['type']]> | undefined;
  if (!reply) throw new Error('No answer from the ChatPro extension');
  if (!reply.ok) throw new Error(reply.error);
  return reply.value;
}
