/** Messages to the person in the item's info bar: the only UI that commands and launch events have. */
import { officeCall } from './async.ts';

const KEY = 'chatpro';

export async function notifyUser(item: Pick<Office.MessageCompose, 'notificationMessages'>, kind: 'info' | 'error', message: string): Promise<void> {
  const text = message.slice(0, 150);
  const details: Office.NotificationMessageDetails =
    kind === 'error'
      ? { type: Office.MailboxEnums.ItemNotificationMessageType.ErrorMessage, message: text }
      : { type: Office.MailboxEnums.ItemNotificationMessageType.InformationalMessage, message: text, icon: 'Icon.16x16', persistent: false };
  await officeCall<void>((cb) => item.notificationMessages.replaceAsync(KEY, details, cb));
}
