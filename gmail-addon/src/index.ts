/**
 * The Gmail add-on on the HTTP runtime: an Express router of card endpoints that Google calls.
 * Every request: verify Google's system ID token (audience = this endpoint's URL, email = the
 * add-on's service account) → validate the event (zod) → verify the user's ID token → resolve
 * the user through the ports → a pure card builder. Auth failures answer 401 and nothing else.
 */
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { ADDON_ERROR_CODES, GoogleIdentity, chatButtonHtml, t, type AddonUser, type GmailAddonPorts } from '@chatpro/common';
import { AddonAuthError, GoogleIdTokenVerifier, bearerToken, endpointUrl, DEFAULT_GOOGLE_CERTS_URL } from './auth.ts';
import { AddonEvent, formInput, localeOf, parameter, timeZoneOf, type CardLocale } from './events.ts';
import { addresses, bodyHtml, findChatLink, header, readGmailMessage, DEFAULT_GMAIL_API_ROOT_URL } from './gmailMessage.ts';
import {
  composeCard,
  conversationCard,
  homepageCard,
  insertIntoDraft,
  MESSAGE_INPUT,
  noLinkCard,
  noticeCard,
  pushCard,
  updateCard,
  type AddonEndpoints,
  type CardContext,
} from './cards/build.ts';
import { s } from './cards/strings.ts';
import type { Card } from './cards/types.ts';
import { LOGO_PNG } from './logo.ts';
import { GMAIL_ADDON_PATH } from './deployment.ts';

export { deploymentJson, GMAIL_ADDON_PATH, OAUTH_SCOPES } from './deployment.ts';
export { DEFAULT_GOOGLE_CERTS_URL } from './auth.ts';
export { DEFAULT_GMAIL_API_ROOT_URL, findChatLink } from './gmailMessage.ts';

export interface GmailAddonOptions {
  /** The address users reach ChatPro at; links in emails start with it, and callbacks are built on it. */
  publicUrl: string;
  /** The add-on's service account (`gcloud workspace-add-ons get-authorization`: serviceAccountEmail). */
  serviceAccountEmail: string;
  /** The add-on's OAuth client id (same command: oauthClientId): the audience of the user's ID token. */
  oauthClientId: string;
  certsUrl?: string;
  gmailApiRootUrl?: string;
  /** Messages shown on the card. */
  messageLimit?: number;
  logger?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

interface Call {
  event: AddonEvent;
  user: AddonUser;
  locale: CardLocale;
  ctx: CardContext;
}

type CallResult = object;

const codeOf = (err: unknown): string | undefined => (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string' ? err.code : undefined);
const isAddonError = (err: unknown) => (ADDON_ERROR_CODES as readonly string[]).includes(codeOf(err) ?? '');

export function createGmailAddonRouter(ports: GmailAddonPorts, options: GmailAddonOptions): Router {
  const verifier = new GoogleIdTokenVerifier(options.certsUrl ?? DEFAULT_GOOGLE_CERTS_URL);
  const gmailRoot = options.gmailApiRootUrl ?? DEFAULT_GMAIL_API_ROOT_URL;
  const limit = options.messageLimit ?? 20;
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const serviceAccount = options.serviceAccountEmail.toLowerCase();
  const base = `${publicUrl}${GMAIL_ADDON_PATH}`;
  const endpoints: AddonEndpoints = { refresh: `${base}/refresh`, send: `${base}/send`, start: `${base}/start`, insertButton: `${base}/insert-button` };
  const router = express.Router();

  router.get('/logo.png', (_req, res) => {
    res.set({ 'Content-Type': 'image/png', 'Cache-Control': 'public, max-age=86400' }).send(LOGO_PNG);
  });

  router.use(express.json({ limit: '256kb' }));

  /** authenticate → validate → identify; then the handler's answer as JSON. */
  function endpoint(handler: (call: Call) => Promise<CallResult>) {
    return async (req: Request, res: Response) => {
      let user: AddonUser;
      let event: AddonEvent;
      try {
        const system = await verifier.verify(bearerToken(req), endpointUrl(req));
        if (system.email?.toLowerCase() !== serviceAccount || system.email_verified !== true) throw new AddonAuthError('not the add-on service account');
        const parsed = AddonEvent.safeParse(req.body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          res.status(400).json({ error: { code: 'validation_failed', message: `Invalid add-on event${issue ? `: ${issue.path.join('.') || '(root)'} ${issue.message}` : ''}` } });
          return;
        }
        event = parsed.data;
        const claims = await verifier.verify(event.authorizationEventObject.userIdToken, options.oauthClientId);
        const identity = GoogleIdentity.safeParse({ sub: claims.sub, email: claims.email, emailVerified: claims.email_verified === true, name: claims.name ?? '' });
        if (!identity.success || !identity.data.emailVerified) throw new AddonAuthError('user token without a verified email');
        user = await ports.resolveUser(identity.data);
      } catch (err) {
        if (!(err instanceof AddonAuthError)) throw err;
        options.logger?.warn({ reason: err.reason, path: req.path }, 'Gmail add-on request refused');
        res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: { code: 'unauthenticated', message: 'Invalid Google ID token' } });
        return;
      }
      const locale = localeOf(event);
      const call: Call = { event, user, locale, ctx: { locale, timeZone: timeZoneOf(event), endpoints } };
      let answer: CallResult;
      try {
        answer = await handler(call);
      } catch (err) {
        if (!isAddonError(err)) options.logger?.error({ err, path: req.path }, 'Gmail add-on request failed');
        const key = codeOf(err) === 'link_not_found' ? 'linkInvalid.text' : codeOf(err) === 'forbidden' ? 'forbidden.text' : 'notice.error';
        const card = noticeCard('ChatPro', s(locale, key));
        answer = req.path === '/homepage' || req.path === '/contextual' || req.path === '/compose' ? pushCard(card) : updateCard(card);
      }
      res.set('Cache-Control', 'no-store').json(answer);
    };
  }

  const isInternal = (user: AddonUser) => user.kind === 'internal';

  async function openMessage(event: AddonEvent) {
    const messageId = event.gmail?.messageId;
    const accessToken = event.gmail?.accessToken;
    const oauth = event.authorizationEventObject.userOAuthToken;
    if (!messageId || !accessToken || !oauth) return null;
    return { messageId, message: await readGmailMessage({ rootUrl: gmailRoot, messageId, userOAuthToken: oauth, accessToken }) };
  }

  /** The conversation card of a token, or the card that says why there is none. */
  async function conversationFor(call: Call, token: string): Promise<Card> {
    const conversation = await ports.conversation(call.user, token, limit);
    if (!conversation) return noticeCard('ChatPro', s(call.locale, 'linkInvalid.text'));
    if (conversation.status === 'forbidden') return noticeCard(conversation.subject, s(call.locale, 'forbidden.text'));
    return conversationCard(conversation, call.ctx, randomUUID().replace(/-/g, ''));
  }

  const readFailed = (call: Call, err: unknown) => {
    options.logger?.warn({ err }, 'Gmail API read failed');
    return noticeCard('ChatPro', s(call.locale, 'notice.readFailed'));
  };

  router.post(
    '/homepage',
    endpoint(async (call) => pushCard(homepageCard(call.locale))),
  );

  router.post(
    '/contextual',
    endpoint(async (call) => {
      let open;
      try {
        open = await openMessage(call.event);
      } catch (err) {
        return pushCard(readFailed(call, err));
      }
      if (!open) return pushCard(homepageCard(call.locale));
      const link = findChatLink(open.message, publicUrl);
      if (link) return pushCard(await conversationFor(call, link.token));
      const started = isInternal(call.user) ? await ports.findEmailLink(call.user, `message:${open.messageId}`) : null;
      if (started) return pushCard(await conversationFor(call, started.token));
      return pushCard(noLinkCard(call.ctx, isInternal(call.user)));
    }),
  );

  const tokenOf = (call: Call) => {
    const token = parameter(call.event, 'token');
    if (!token) throw Object.assign(new Error('no token parameter'), { code: 'link_not_found' });
    return token;
  };

  router.post(
    '/refresh',
    endpoint(async (call) => updateCard(await conversationFor(call, tokenOf(call)))),
  );

  router.post(
    '/send',
    endpoint(async (call) => {
      const token = tokenOf(call);
      const body = formInput(call.event, MESSAGE_INPUT).trim();
      if (!body) return updateCard(await conversationFor(call, token), s(call.locale, 'notice.emptyMessage'));
      const clientId = parameter(call.event, 'clientId') ?? randomUUID().replace(/-/g, '');
      try {
        await ports.post(call.user, { token, clientId, body });
      } catch (err) {
        // A link that closed since the card was drawn: show it read-only.
        if (codeOf(err) !== 'link_closed') throw err;
      }
      return updateCard(await conversationFor(call, token), s(call.locale, 'notice.sent'));
    }),
  );

  router.post(
    '/start',
    endpoint(async (call) => {
      if (!isInternal(call.user)) return updateCard(noticeCard('ChatPro', s(call.locale, 'internalOnly.text')));
      let open;
      try {
        open = await openMessage(call.event);
      } catch (err) {
        return updateCard(readFailed(call, err));
      }
      if (!open) return updateCard(homepageCard(call.locale));
      const { message, messageId } = open;
      const link = await ports.emailLink(call.user, {
        key: `message:${messageId}`,
        subject: header(message, 'Subject') || s(call.locale, 'email.noSubject'),
        bodyHtml: bodyHtml(message),
        from: addresses(header(message, 'From'))[0],
        to: addresses(header(message, 'To')),
        cc: addresses(header(message, 'Cc')),
      });
      return updateCard(await conversationFor(call, link.token), s(call.locale, 'notice.started'));
    }),
  );

  const buttonLabel = (locale: CardLocale) => t(locale, 'action.discuss');

  router.post(
    '/compose',
    endpoint(async (call) => pushCard(composeCard(call.ctx, isInternal(call.user), buttonLabel(call.locale)))),
  );

  router.post(
    '/insert-button',
    endpoint(async (call) => {
      if (!isInternal(call.user)) return updateCard(noticeCard('ChatPro', s(call.locale, 'internalOnly.text')));
      const g = call.event.gmail;
      // Gmail's ids are per mailbox and per draft: reuse the context for the same draft or thread.
      const key = g?.draftId ? `draft:${g.draftId}` : g?.threadId ? `thread:${g.threadId}` : `compose:${randomUUID().replace(/-/g, '')}`;
      const link = await ports.emailLink(call.user, {
        key,
        subject: g?.subject?.trim() || s(call.locale, 'email.noSubject'),
        to: addresses((g?.toRecipients ?? []).join(', ')),
        cc: addresses((g?.ccRecipients ?? []).join(', ')),
      });
      return insertIntoDraft(chatButtonHtml(link.url, buttonLabel(call.locale)));
    }),
  );

  return router;
}
