/**
 * The ChatPro settings screen of one link: share it (copy, new email, WhatsApp Web) and change
 * Oggetto, Mostra corpo, Scadenza, Notifica. Every saved change lands in the public discussion.
 */
import { useState } from 'preact/hooks';
import type { LinkDto, UserDto } from '@chatpro/common';
import { api } from '../api.ts';
import { Lock } from './Lock.tsx';

export const whatsappUrl = (subject: string, url: string) => `https://web.whatsapp.com/send?text=${encodeURIComponent(`${subject} ${url}`)}`;

/** The calendar day (Europe/Rome) an expiry instant falls on, for the date field. */
export function expiryDay(iso: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome' }).format(new Date(iso));
}

export function LinkSettings(props: { link: LinkDto; users: UserDto[]; onSaved: (link: LinkDto) => void; onEmail?: (link: LinkDto) => void }) {
  const { link } = props;
  const [subject, setSubject] = useState(link.subject);
  const [showBody, setShowBody] = useState(link.showBody);
  const [expires, setExpires] = useState(expiryDay(link.expiresAt));
  const [notify, setNotify] = useState<string[]>(link.notifyUserIds);
  const [status, setStatus] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  async function save(e: Event) {
    e.preventDefault();
    setStatus(null);
    try {
      const changed: Record<string, unknown> = {};
      if (subject !== link.subject) changed.subject = subject;
      if (showBody !== link.showBody) changed.showBody = showBody;
      if (expires !== expiryDay(link.expiresAt)) changed.expiresAt = expires;
      if (notify.length !== link.notifyUserIds.length || notify.some((id) => !link.notifyUserIds.includes(id))) changed.notifyUserIds = notify;
      if (Object.keys(changed).length === 0) return setStatus('Nessuna modifica');
      const saved = await api<LinkDto>(`/api/links/${link.id}`, { method: 'PATCH', body: JSON.stringify(changed) });
      props.onSaved(saved);
      setStatus('Salvato');
    } catch (err) {
      setStatus(err instanceof Error ? err.message : 'Errore');
    }
  }

  async function copy() {
    await navigator.clipboard.writeText(link.url);
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  }

  return (
    <form class="card stack link-settings" onSubmit={(e) => void save(e)} data-testid="link-settings" data-link-id={link.id}>
      <div class="row-between">
        <h3>
          <Lock active={link.active} /> {link.active ? 'Chat Pro attiva' : 'Chat Pro disattiva'}
        </h3>
      </div>
      <label>
        Link della conversazione
        <div class="row">
          <input readOnly value={link.url} data-testid="link-url" onFocus={(e) => (e.target as HTMLInputElement).select()} />
          <button type="button" class="button" onClick={() => void copy()} data-testid="copy-link">
            {copied ? 'Copiato!' : 'Copia negli appunti'}
          </button>
        </div>
      </label>
      <div class="row wrap">
        {props.onEmail && (
          <button type="button" class="button" onClick={() => props.onEmail!(link)} data-testid="new-email">
            Nuova email
          </button>
        )}
        <a class="button" href={whatsappUrl(link.subject, link.url)} target="_blank" rel="noopener noreferrer" data-testid="whatsapp">
          WhatsApp Web
        </a>
      </div>
      <label>
        Oggetto
        <input value={subject} onInput={(e) => setSubject((e.target as HTMLInputElement).value)} required maxLength={500} data-testid="link-subject" />
      </label>
      <label class="check">
        <input type="checkbox" checked={showBody} onChange={(e) => setShowBody((e.target as HTMLInputElement).checked)} data-testid="link-show-body" /> Mostra corpo
      </label>
      <label>
        Scadenza <span class="muted small">(la data odierna chiude subito la chat)</span>
        <input type="date" value={expires} onInput={(e) => setExpires((e.target as HTMLInputElement).value)} required data-testid="link-expiry" />
      </label>
      <fieldset>
        <legend>Notifica</legend>
        <p class="muted small">Nessun utente scelto: vengono notificati tutti i visualizzatori.</p>
        {props.users.map((u) => (
          <label key={u.id} class="check">
            <input
              type="checkbox"
              checked={notify.includes(u.id)}
              onChange={(e) => setNotify((n) => ((e.target as HTMLInputElement).checked ? [...n, u.id] : n.filter((id) => id !== u.id)))}
            />{' '}
            {u.name}
          </label>
        ))}
      </fieldset>
      <div class="row">
        <button type="submit" class="button primary" data-testid="save-link">
          Salva
        </button>
        {status && <span class="muted" role="status">{status}</span>}
      </div>
    </form>
  );
}
