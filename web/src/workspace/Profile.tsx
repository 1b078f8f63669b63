/** Profilo > Opzioni su chat esterna: default expiries of manual and template chats. */
import { useEffect, useState } from 'preact/hooks';
import type { ProfileOptionsDto } from '@chatpro/common';
import { api } from '../api.ts';

export function Profile() {
  const [options, setOptions] = useState<ProfileOptionsDto | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  useEffect(() => {
    void api<ProfileOptionsDto>('/api/profile/options').then(setOptions);
  }, []);
  if (!options) return <main class="main" />;
  async function save(e: Event) {
    e.preventDefault();
    try {
      setOptions(await api<ProfileOptionsDto>('/api/profile/options', { method: 'PATCH', body: JSON.stringify(options) }));
      setStatus('Salvato');
    } catch (err) {
      setStatus(err instanceof Error ? err.message : 'Errore');
    }
  }
  const num = (e: Event) => Number((e.target as HTMLInputElement).value);
  return (
    <main class="main">
      <form class="card stack" onSubmit={(e) => void save(e)} data-testid="profile">
        <h1>Opzioni su chat esterna</h1>
        <label>
          Scadenza predefinita delle chat attivate a mano (giorni)
          <input type="number" min={1} max={10980} value={options.chatExpiryDays} onInput={(e) => setOptions({ ...options, chatExpiryDays: num(e) })} />
        </label>
        <label>
          Scadenza predefinita delle chat da modello (giorni)
          <input type="number" min={1} max={10980} value={options.templateChatExpiryDays} onInput={(e) => setOptions({ ...options, templateChatExpiryDays: num(e) })} />
        </label>
        <label>
          Lingua
          <select value={options.locale} onChange={(e) => setOptions({ ...options, locale: (e.target as HTMLSelectElement).value as 'it' | 'en' })}>
            <option value="it">Italiano</option>
            <option value="en">English</option>
          </select>
        </label>
        <div class="row">
          <button type="submit" class="button primary">Salva</button>
          {status && <span role="status">{status}</span>}
        </div>
      </form>
    </main>
  );
}
