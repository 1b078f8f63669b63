/**
 * A new email, note or event. "Gestisci chat" in the top bar configures the external chat before
 * saving; for an email, switching it on puts the "Clicca qui per discuterne" button into the
 * body; for an event with invito, a placeholder that recipients see as the link.
 */
import { useState } from 'preact/hooks';
import { chatButtonHtml } from '@chatpro/common/emailButton';
import type { ContextDto, LinkDto, UserDto } from '@chatpro/common';
import { api } from '../api.ts';
import { navigate } from './router.tsx';

export const LINK_PLACEHOLDER = '[[link-chatpro]]';

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function NewContext(props: { users: UserDto[] }) {
  const [kind, setKind] = useState<'email' | 'note' | 'event'>('email');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [to, setTo] = useState('');
  const [start, setStart] = useState('');
  const [end, setEnd] = useState('');
  const [invite, setInvite] = useState(false);
  const [chat, setChat] = useState(false);
  const [panel, setPanel] = useState(false);
  const [showBody, setShowBody] = useState(true);
  const [notify, setNotify] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);

  async function save(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      const tz = 'Europe/Rome';
      const payload: Record<string, unknown> = { kind, subject, bodyHtml: body.split('\n').map((l) => `<p>${escape(l)}</p>`).join('') };
      if (kind === 'email') payload.email = { to: to.split(/[,;\s]+/).filter(Boolean), cc: [] };
      if (kind === 'event') payload.event = { start: new Date(start).toISOString(), end: new Date(end).toISOString(), timeZone: tz, invite, attendees: to.split(/[,;\s]+/).filter(Boolean) };
      const context = await api<ContextDto>('/api/contexts', { method: 'POST', body: JSON.stringify(payload) });
      if (chat) {
        const link = await api<LinkDto>(`/api/contexts/${context.id}/links`, { method: 'POST', body: JSON.stringify({ showBody, notifyUserIds: notify }) });
        let html = context.bodyHtml;
        if (kind === 'email') html += chatButtonHtml(link.url);
        if (kind === 'event' && invite) html = html.replace(escape(LINK_PLACEHOLDER), `<a href="${escape(link.url)}">${escape(link.url)}</a>`);
        if (html !== context.bodyHtml) await api(`/api/contexts/${context.id}`, { method: 'PATCH', body: JSON.stringify({ bodyHtml: html }) });
      }
      navigate(`/app/c/${context.id}${chat ? '?chatpro' : ''}`);
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Errore');
    }
  }

  const toggleInvite = (on: boolean) => {
    setInvite(on);
    if (on && !body.includes(LINK_PLACEHOLDER)) setBody((b) => `${b}${b ? '\n' : ''}Partecipa alla chat: ${LINK_PLACEHOLDER}`);
    if (on) setChat(true);
  };

  return (
    <main class="main">
      <form class="stack" onSubmit={(e) => void save(e)} data-testid="new-context">
        <div class="topbar-compose row-between">
          <div class="row">
            {(['email', 'note', 'event'] as const).map((k) => (
              <label key={k} class="check">
                <input type="radio" name="kind" checked={kind === k} onChange={() => setKind(k)} /> {{ email: 'Email', note: 'Nota', event: 'Evento' }[k]}
              </label>
            ))}
          </div>
          <button type="button" class={`button ${chat ? 'on' : ''}`} onClick={() => setPanel((p) => !p)} data-testid="manage-chat">
            Gestisci chat {chat ? '· attiva' : ''}
          </button>
        </div>
        {panel && (
          <div class="card stack" data-testid="manage-chat-panel">
            <label class="check">
              <input type="checkbox" checked={chat} onChange={(e) => setChat((e.target as HTMLInputElement).checked)} data-testid="chat-on" /> Attiva conversazione esterna
            </label>
            <label class="check">
              <input type="checkbox" checked={showBody} onChange={(e) => setShowBody((e.target as HTMLInputElement).checked)} /> Mostra corpo
            </label>
            <fieldset>
              <legend>Notifica</legend>
              {props.users.map((u) => (
                <label key={u.id} class="check">
                  <input type="checkbox" onChange={(e) => setNotify((n) => ((e.target as HTMLInputElement).checked ? [...n, u.id] : n.filter((x) => x !== u.id)))} /> {u.name}
                </label>
              ))}
            </fieldset>
            {kind === 'email' && chat && <p class="muted small">Il pulsante «Clicca qui per discuterne» verrà inserito nel corpo dell’email.</p>}
          </div>
        )}
        {(kind === 'email' || kind === 'event') && (
          <label>
            {kind === 'email' ? 'A' : 'Invitati'}
            <input value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} placeholder="nome@esempio.it, …" />
          </label>
        )}
        {kind === 'event' && (
          <div class="row wrap">
            <label>Inizio <input type="datetime-local" value={start} onInput={(e) => setStart((e.target as HTMLInputElement).value)} required /></label>
            <label>Fine <input type="datetime-local" value={end} onInput={(e) => setEnd((e.target as HTMLInputElement).value)} required /></label>
            <label class="check"><input type="checkbox" checked={invite} onChange={(e) => toggleInvite((e.target as HTMLInputElement).checked)} data-testid="invite" /> Invito</label>
          </div>
        )}
        <label>
          Oggetto <input value={subject} onInput={(e) => setSubject((e.target as HTMLInputElement).value)} required maxLength={500} data-testid="new-subject" />
        </label>
        <label>
          Testo <textarea rows={8} value={body} onInput={(e) => setBody((e.target as HTMLTextAreaElement).value)} data-testid="new-body" />
        </label>
        {kind === 'email' && chat && (
          <div class="button-preview" dangerouslySetInnerHTML={{ __html: chatButtonHtml(`${location.origin}/c/…`) }} />
        )}
        {error && <p class="error">{error}</p>}
        <div>
          <button type="submit" class="button primary" data-testid="save-context">Salva</button>
        </div>
      </form>
    </main>
  );
}
