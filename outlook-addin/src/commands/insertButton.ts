/** "Inserisci Clicca qui per discuterne": the compose command. Always ends with `event.completed()`. */
import type { ChatProApi } from '../office/chatpro.ts';
import { draftChatLink, insertChatLink } from '../office/compose.ts';
import { messageFor, UserMessage } from '../office/messages.ts';
import { notifyUser } from '../office/notify.ts';

export interface CommandDeps {
  item: Office.MessageCompose;
  chatpro: ChatProApi;
  /** Opens the sign-in dialog for internal users; resolves once signed in. */
  signIn: () => Promise<void>;
}

export async function insertChatButton(event: Pick<Office.AddinCommands.Event, 'completed'>, deps: CommandDeps): Promise<void> {
  try {
    let me = await deps.chatpro.me();
    if (me.kind !== 'internal') {
      await deps.signIn();
      me = await deps.chatpro.me();
    }
    if (me.kind !== 'internal') throw new UserMessage('Accedi a ChatPro con l’account della tua organizzazione per inserire il pulsante.');
    const url = await draftChatLink(deps.item, deps.chatpro);
    await insertChatLink(deps.item, url);
  } catch (err) {
    await notifyUser(deps.item, 'error', messageFor(err)).catch(() => {});
  } finally {
    event.completed();
  }
}
