/** The "Gestisci chat" control of one compose window and its panel, rendered in a shadow root. */
import { useState } from 'preact/hooks';
import type { LinkDto, UserDto } from '@chatpro/common';
import { chatButtonHtml, chatButtonText } from '@chatpro/common/emailButton';
import { ask } from '../messages.ts';
import type { DraftInput } from '../messages.ts';

export interface ComposeHost {
  draftKey(): string;
  readDraft(): DraftInput;
  /** True when the body already holds a button to this URL (a second click adds no second one). */
  hasButton(url: string): boolean;
  insert(html: string, text: string): void;
}

export const PANEL_CSS = `
:host { all: initial; }
.cp { position: relative; display: inline-block; font: 13px/1.4 Arial, Helvetica, sans-serif; color: #111827; margin: 0 6px; vertical-align: middle; }
.cp-toggle { background: #fff; color: #1d4ed8; border: 1px solid #93c5fd; border-radius: 16px; padding: 6px 12px; font: inherit; font-weight: bold; cursor: pointer; white-space: nowrap; }
.cp-panel { position: absolute; bottom: 100%; left: 0; margin-bottom: 6px; width: 300px; background: #fff; border: 1px solid #d1d5db; border-radius: 8px; box-shadow: 0 8px 24px rgba(0,0,0,.18); padding: 12px; z-index: 2147483647; }
.cp-panel label { display: block; margin: 6px 0; }
.cp-panel input[type=text], .cp-panel input[type=date] { width: 100%; box-sizing: border-box; font: inherit; padding: 4px; }
.cp-row { display: flex; gap: 6px; flex-wrap: wrap; margin-top: 8px; }
.cp-row button { font: inherit; padding: 4px 8px; cursor: pointer; }
.cp-url { word-break: break-all; font-size: 12px; color: #374151; }
.cp-error { color: #b91c1c; }
.cp-close { position: absolute; top: 4px; right: 6px; border: 0; background: none; font: 18px/1 Arial, sans-serif; cursor: pointer; color: #6b7280; }
.cp-users { max-height: 90px; overflow: auto; border: 1px solid #e5e7eb; padding: 4px; }
`;

export function ComposeControl(props: { host: ComposeHost }) {
  const { host } = props;
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [note, setNote] = useState('');
  const [link, setLink] = useState<LinkDto | null>(null);
  const [contextId, setContextId] = useState('');
  const [users, setUsers] = useState<UserDto[]>([]);
  const [subject, setSubject] = useState('');
  const [showBody, setShowBody] = useState(false);
  const [expiry, setExpiry] = useState('');
  const [notify, setNotify] = useState<string[]>([]);

  const activate = async () => {
    setBusy(true);
    setError('');
    try {
      const res = await ask({ type: 'compose:activate', draftKey: host.draftKey(), draft: host.readDraft() });
      setLink(res.link);
      setContextId(res.contextId);
      setSubject(res.link.subject);
      setShowBody(res.link.showBody);
      setExpiry(res.link.expiresAt.slice(0, 10));
      setNotify(res.link.notifyUserIds);
      if (!host.hasButton(res.link.url)) host.insert(chatButtonHtml(res.link.url), chatButtonText(res.link.url));
      setNote(res.reused ? 'Chat già attiva per questa bozza.' : 'Chat attivata: pulsante inserito.');
      ask({ type: 'users' }).then(setUsers, () => setUsers([]));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  const toggle = () => {
    const next = !open;
    setOpen(next);
    if (next) void activate();
  };

  const save = async () => {
    if (!link) return;
    try {
      const patch = { subject, showBody, notifyUserIds: notify, ...(expiry ? { expiresAt: new Date(`${expiry}T23:59:59`).toISOString() } : {}) };
      setLink(await ask({ type: 'link:update', linkId: link.id, patch }));
      setNote('Salvato.');
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <div class="cp" data-testid="chatpro-control">
      <button type="button" class="cp-toggle" data-testid="chatpro-toggle" onClick={toggle} title="ChatPro">
        Gestisci chat
      </button>
      {open && (
        <div class="cp-panel" data-testid="chatpro-panel" data-context-id={contextId} onKeyDown={(e) => e.key === 'Escape' && setOpen(false)}>
          <button type="button" class="cp-close" aria-label="Chiudi" data-testid="chatpro-close" onClick={() => setOpen(false)}>
            ×
          </button>
          {busy && <p>Attivazione…</p>}
          {error && (
            <p class="cp-error" data-testid="chatpro-error">
              {error}
            </p>
          )}
          {link && (
            <>
              <p data-testid="chatpro-note">{note}</p>
              <p class="cp-url" data-testid="chatpro-url">
                {link.url}
              </p>
              <label>
                Oggetto
                <input type="text" data-testid="chatpro-subject" value={subject} onInput={(e) => setSubject(e.currentTarget.value)} />
              </label>
              <label>
                <input type="checkbox" data-testid="chatpro-show-body" checked={showBody} onChange={(e) => setShowBody(e.currentTarget.checked)} /> Mostra il testo dell’email
              </label>
              <label>
                Scadenza
                <input type="date" data-testid="chatpro-expiry" value={expiry} onInput={(e) => setExpiry(e.currentTarget.value)} />
              </label>
              {users.length > 0 && (
                <div class="cp-users">
                  Avvisa
                  {users.map((u) => (
                    <label key={u.id}>
                      <input
                        type="checkbox"
                        checked={notify.includes(u.id)}
                        onChange={(e) => setNotify(e.currentTarget.checked ? [...notify, u.id] : notify.filter((id) => id !== u.id))}
                      />{' '}
                      {u.name}
                    </label>
                  ))}
                </div>
              )}
              <div class="cp-row">
                <button type="button" data-testid="chatpro-save" onClick={() => void save()}>
                  Salva
                </button>
                <button type="button" data-testid="chatpro-copy" onClick={() => void navigator.clipboard.writeText(link.url).then(() => setNote('Link copiato.'), () => setNote(link.url))}>
                  Copia link
                </button>
                <button type="button" data-testid="chatpro-whatsapp" onClick={() => void ask({ type: 'share:whatsapp', subject: link.subject, url: link.url })}>
                  WhatsApp
                </button>
                <button type="button" data-testid="chatpro-insert" onClick={() => host.insert(chatButtonHtml(link.url), chatButtonText(link.url))}>
                  Inserisci di nuovo
                </button>
              </div>
            </>
          )}
        </div>
      )}
    </div>
  );
}
