/** The person's preference, kept in Outlook's roaming settings so that it follows them across devices. */
import { officeCall } from './async.ts';

const AUTO_INSERT = 'chatpro.autoInsert';

export function autoInsertEnabled(): boolean {
  return Office.context.roamingSettings.get(AUTO_INSERT) === true;
}

export async function setAutoInsert(enabled: boolean): Promise<void> {
  Office.context.roamingSettings.set(AUTO_INSERT, enabled);
  await officeCall<void>((cb) => Office.context.roamingSettings.saveAsync(cb));
}
