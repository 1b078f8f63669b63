import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import { ask, type Status } from '../../src/messages.ts';
import { normalizeServer } from '../../src/settings.ts';

/** A server other than the local default needs its host permission, asked while the user clicks. */
async function allowServer(server: string): Promise<boolean> {
  const origin = normalizeServer(server);
  const host = new URL(origin).hostname;
  if (host === 'localhost' || host === '127.0.0.1') return true;
  return browser.permissions.request({ origins: [`${origin}/*`] });
}

function Options() {
  const [status, setStatus] = useState<Status | null>(null);
  const [server, setServer] = useState('');
  const [message, setMessage] = useState('');
  const refresh = () =>
    ask({ type: 'status' }).then((s) => {
      setStatus(s);
      setServer(s.server);
    });
  useEffect(() => {
    void refresh();
    const listener = () => void refresh();
    browser.storage.onChanged.addListener(listener);
    return () => browser.storage.onChanged.removeListener(listener);
  }, []);

  const save = async (e: Event) => {
    e.preventDefault();
    try {
      if (!(await allowServer(server))) return setMessage('Permesso negato per questo server.');
      setStatus(await ask({ type: 'server:set', server }));
      setMessage('Indirizzo salvato.');
    } catch (err) {
      setMessage(err instanceof Error ? err.message : String(err));
    }
  };

  if (!status) return <p>…</p>;
  return (
    <main style="font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem">
      <h1>ChatPro</h1>
      <form onSubmit={(e) => void save(e)}>
        <label>
          Indirizzo del server ChatPro
          <br />
          <input data-testid="server" type="url" required value={server} onInput={(e) => setServer(e.currentTarget.value)} style="width:100%" />
        </label>
        <p>
          <button type="submit" data-testid="save">Salva</button> <span data-testid="message">{message}</span>
        </p>
      </form>
      {status.user ? (
        <p data-testid="signed-in">
          Collegato come <b>{status.user.name}</b> ({status.user.email}){' '}
          <button data-testid="sign-out" onClick={() => void ask({ type: 'signOut' }).then(setStatus)}>
            Esci
          </button>
        </p>
      ) : (
        <p>
          <button data-testid="sign-in" onClick={() => void ask({ type: 'signIn' })}>
            Accedi a ChatPro
          </button>
        </p>
      )}
    </main>
  );
}

render(<Options />, document.getElementById('app')!);
