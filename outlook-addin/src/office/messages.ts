/** What the person reads when a command fails: never a stack trace, always something to do. */
import { ApiError } from '@chatpro/web/api';
import { OfficeCallError } from './async.ts';
import { SignInCancelled } from './dialog.ts';

/** A failure whose message is already written for the person. */
export class UserMessage extends Error {}

export function messageFor(err: unknown): string {
  if (err instanceof UserMessage) return err.message;
  if (err instanceof SignInCancelled) return 'Accesso annullato: il pulsante non è stato inserito.';
  if (err instanceof ApiError) {
    if (err.status === 401) return 'Accedi a ChatPro con l’account della tua organizzazione e riprova.';
    return `ChatPro non ha risposto come previsto (${err.code}). Riprova.`;
  }
  if (err instanceof OfficeCallError) return `Outlook non ha completato l’operazione (${err.message}). Riprova.`;
  if (err instanceof TypeError) return 'ChatPro non è raggiungibile. Controlla la connessione e riprova.';
  return 'Qualcosa è andato storto. Riprova.';
}
