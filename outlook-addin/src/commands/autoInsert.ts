/**
 * Event-based activation on a new message: inserts the button by itself when the person asked for
 * it (task pane preference). No dialog may open here, so a signed-out person gets a message.
 * Always ends with `event.completed()`, or Outlook waits for the add-in.
 */
import type { ChatProApi } from '../office/chatpro.ts';
import { draftChatLink, insertChatLink } from '../office/compose.ts';
import { messageFor } from '../office/messages.ts';
import { notifyUser } from '../office/notify.ts';

export interface AutoInsertDeps {
  item: Office.MessageCompose;
  chatpro: ChatProApi;
  autoInsertEnabled: () => boolean;
}

export async function onNewMessageCompose(event: Pick<Office.AddinCommands.Event, 'completed'>, deps: AutoInsertDeps): Promise<void> {
  try {
    if (!deps.autoInsertEnabled()) return;
    const me = await deps.chatpro.me();
    if (me.kind !== 'internal') {
      await notifyUser(deps.item, 'info', 'ChatPro: accedi dal riquadro ChatPro per inserire il pulsante automaticamente.');
      return;
    }
    const url = await draftChatLink(deps.item, deps.chatpro);
    await insertChatLink(deps.item, url);
  } catch (err) {
    await notifyUser(deps.item, 'error', messageFor(err)).catch(() => {});
  } finally {
    event.completed();
  }
}
