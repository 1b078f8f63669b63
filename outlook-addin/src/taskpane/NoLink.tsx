/**
 * An email without a ChatPro link. Internal users may start a chat on it ("Avvia chat su questa
 * email") and choose whether new messages get the button by themselves.
 */
import { useState } from 'preact/hooks';
import type { LinkDto, MeDto } from '@chatpro/common';
import { ApiError } from '@chatpro/web/api';
import type { Translate } from '@chatpro/web/i18n';
import { chatProApi } from '../office/chatpro.ts';
import { readEmail } from '../office/readItem.ts';
import { autoInsertEnabled, setAutoInsert } from '../office/settings.ts';
import { publicUrl } from './publicUrl.ts';

export function NoLink(props: { me: MeDto; t: Translate; onSignIn: () => void; signInError: string | null }) {
  const { me, t } = props;
  const [link, setLink] = useState<LinkDto | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [autoInsert, setAutoInsertState] = useState(autoInsertEnabled);

  async function start() {
    setBusy(true);
    setError(null);
    try {
      const email = await readEmail(Office.context.mailbox.item as Office.MessageRead);
      setLink((await chatProApi(publicUrl).createEmailChat(email)).link);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : t('error.generic'));
    } finally {
      setBusy(false);
    }
  }

  async function toggleAutoInsert(enabled: boolean) {
    setAutoInsertState(enabled);
    try {
      await setAutoInsert(enabled);
    } catch {
      setAutoInsertState(!enabled);
      setError(t('error.generic'));
    }
  }

  return (
    <main class="pane pad stack" data-testid="no-link">
      <h1>ChatPro</h1>
      <p class="muted">Questa email non contiene un link a una chat ChatPro.</p>
      {me.kind === 'internal' && !link && (
        <button type="button" class="button primary" disabled={busy} onClick={() => void start()} data-testid="start-chat">
          Avvia chat su questa email
        </button>
      )}
      {link && (
        <div class="stack" data-testid="started">
          <p>Chat avviata. Condividi questo link con chi deve partecipare:</p>
          <input class="link-field" readOnly value={link.url} onFocus={(e) => (e.target as HTMLInputElement).select()} data-testid="link-url" />
          <a class="button" href={`${publicUrl}/app`} target="_blank" rel="noopener">
            Apri ChatPro
          </a>
        </div>
      )}
      {me.kind === 'anonymous' && (
        <>
          <p class="small">Fai parte di un’organizzazione su ChatPro? Accedi per avviare una chat su questa email.</p>
          <button type="button" class="button" onClick={props.onSignIn} data-testid="sign-in-internal">
            Accedi come utente interno
          </button>
        </>
      )}
      {me.kind === 'internal' && (
        <label class="small option">
          <input type="checkbox" checked={autoInsert} onChange={(e) => void toggleAutoInsert((e.target as HTMLInputElement).checked)} data-testid="auto-insert" />{' '}
          Inserisci “{t('action.discuss')}” in ogni nuovo messaggio
        </label>
      )}
      {(error ?? props.signInError) && (
        <p class="error" role="alert">
          {error ?? props.signInError}
        </p>
      )}
    </main>
  );
}
