/**
 * Sign-in through the Office dialog API: the server's OpenID Connect sign-in cannot run inside
 * the task pane's frame (providers refuse to be framed), so it runs in a dialog window on the
 * server's origin, whose last page (`signed-in.html`) answers with `messageParent`. The session
 * cookie set there is the one the task pane then uses.
 */
import { officeCall } from './async.ts';

export type DialogMessage = { status: 'signed-in' } | { status: 'failed'; message: string };

/** What `signed-in.html` sends back. */
export const SIGNED_IN: DialogMessage = { status: 'signed-in' };

/** Office's code when the person closes the dialog window. */
const DIALOG_CLOSED_BY_USER = 12006;

export class SignInCancelled extends Error {
  constructor() {
    super('Accesso annullato');
    this.name = 'SignInCancelled';
  }
}

export function signInUrl(publicUrl: string, opts: { audience: 'internal' | 'external'; link?: string }): string {
  const q = new URLSearchParams({ audience: opts.audience });
  if (opts.link) q.set('link', opts.link);
  return `${publicUrl}/addins/outlook/signin.html?${q}`;
}

/** Opens the dialog on `url` and resolves when it reports a sign-in. */
export async function signInWithDialog(url: string): Promise<void> {
  const dialog = await officeCall<Office.Dialog>((cb) => Office.context.ui.displayDialogAsync(url, { height: 70, width: 40, promptBeforeOpen: false }, cb));
  await new Promise<void>((resolve, reject) => {
    dialog.addEventHandler(Office.EventType.DialogMessageReceived, (arg) => {
      const message = 'message' in arg ? parse(arg.message) : null;
      dialog.close();
      if (message?.status === 'signed-in') resolve();
      else reject(new Error(message?.status === 'failed' ? message.message : 'Accesso non riuscito'));
    });
    dialog.addEventHandler(Office.EventType.DialogEventReceived, (arg) => {
      reject('error' in arg && arg.error === DIALOG_CLOSED_BY_USER ? new SignInCancelled() : new Error(`Finestra di accesso chiusa (${'error' in arg ? arg.error : '?'})`));
    });
  });
}

function parse(message: string): DialogMessage | null {
  try {
    const value = JSON.parse(message) as DialogMessage;
    return value && typeof value === 'object' && 'status' in value ? value : null;
  } catch {
    return null;
  }
}
