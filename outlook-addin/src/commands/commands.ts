/**
 * The function file: registers the compose command and the launch-event handler. Loaded by
 * commands.html in browser runtimes and, bundled as commands.js, by classic Outlook on Windows.
 */
import { chatProApi } from '../office/chatpro.ts';
import { signInUrl, signInWithDialog } from '../office/dialog.ts';
import { publicUrlOf } from '../office/publicUrl.ts';
import { officeReady } from '../office/ready.ts';
import { autoInsertEnabled } from '../office/settings.ts';
import { onNewMessageCompose } from './autoInsert.ts';
import { insertChatButton } from './insertButton.ts';
import { INSERT_CHAT_BUTTON, ON_NEW_MESSAGE_COMPOSE } from './names.ts';

declare const __CHATPRO_PUBLIC_URL__: string;

/** The page's own server; the JavaScript-only runtime has no page URL, so the build's URL stands in. */
function publicUrl(): string {
  const here = typeof location === 'object' ? location.href : '';
  return here.includes('/addins/outlook/') ? publicUrlOf(here) : __CHATPRO_PUBLIC_URL__;
}

const item = () => Office.context.mailbox.item as Office.MessageCompose;

const handlers = {
  [INSERT_CHAT_BUTTON]: (event: Office.AddinCommands.Event) =>
    void insertChatButton(event, {
      item: item(),
      chatpro: chatProApi(publicUrl()),
      signIn: () => signInWithDialog(signInUrl(publicUrl(), { audience: 'internal' })),
    }),
  [ON_NEW_MESSAGE_COMPOSE]: (event: Office.AddinCommands.Event) =>
    void onNewMessageCompose(event, { item: item(), chatpro: chatProApi(publicUrl()), autoInsertEnabled }),
};

for (const [name, handler] of Object.entries(handlers)) {
  // Office.actions arrived with Mailbox 1.10; older clients only know the globals below.
  if (typeof Office.actions?.associate === 'function') Office.actions.associate(name, handler);
  (globalThis as Record<string, unknown>)[name] = handler;
}
void officeReady();
