/**
 * Where `/extension/connect` sends the browser back with `#token=…`: hands the token to the
 * background worker, removes it from the address bar and history, and closes the tab.
 */
import { ask } from '../../src/messages.ts';

const out = document.getElementById('status')!;
const token = new URLSearchParams(location.hash.slice(1)).get('token');
history.replaceState(null, '', location.pathname);
if (!token) out.textContent = 'Nessun token ricevuto: riprova dalle opzioni dell’estensione.';
else
  ask({ type: 'token:received', token }).then(
    (status) => {
      out.textContent = `Collegato come ${status.user?.name ?? ''} (${status.user?.email ?? ''}). Puoi chiudere questa scheda.`;
      setTimeout(() => window.close(), 1500);
    },
    (err: unknown) => {
      out.textContent = `Collegamento non riuscito: ${err instanceof Error ? err.message : String(err)}`;
    },
  );
