import type { ComponentChildren } from 'preact';
/**
 * A context: header with the lock, the body and attachments, the discussions (public and every
 * group, "pubblico internamente") with the Azioni menu, and the ChatPro settings.
 */
import { useEffect, useState } from 'preact/hooks';
import type { ContextDto, GroupDto, LinkDto, UserDto } from '@chatpro/common';
import { api } from '../api.ts';
import { BodySection } from '../chat/BodySection.tsx';
import { useLocale } from '../i18n.ts';
import { EmailComposer } from './EmailComposer.tsx';
import { GroupChat } from './GroupChat.tsx';
import { LinkSettings } from './LinkSettings.tsx';
import { Lock } from './Lock.tsx';
import { navigate } from './router.tsx';
import type { WorkspaceSocket } from './socket.ts';

const KIND = { email: 'Email', note: 'Nota', event: 'Evento' } as const;

export function ContextView(props: { id: string; settings: boolean; me: UserDto; users: UserDto[]; socket: WorkspaceSocket }) {
  const { t } = useLocale();
  const [context, setContext] = useState<ContextDto | null>(null);
  const [groups, setGroups] = useState<GroupDto[]>([]);
  const [links, setLinks] = useState<LinkDto[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [menu, setMenu] = useState(false);
  const [dialog, setDialog] = useState<null | 'confirm' | 'group' | 'merge' | 'external'>(null);
  const [emailFor, setEmailFor] = useState<LinkDto | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = async () => {
    const [c, g, l] = await Promise.all([
      api<ContextDto>(`/api/contexts/${props.id}`),
      api<{ items: GroupDto[] }>(`/api/contexts/${props.id}/groups`),
      api<{ items: LinkDto[] }>(`/api/contexts/${props.id}/links`),
    ]);
    setContext(c);
    setGroups(g.items);
    setLinks(l.items);
    setSelected((s) => (s && g.items.some((x) => x.id === s) ? s : (g.items[0]?.id ?? null)));
    // The message list shows the lock and the last activity of this context too.
    props.socket.refresh();
  };

  useEffect(() => {
    setContext(null);
    load().catch((e: unknown) => setError(e instanceof Error ? e.message : 'Errore'));
    // Opening a context reads its notifications.
    void api('/api/notifications/read', { method: 'POST', body: JSON.stringify({ contextId: props.id }) }).then(() => props.socket.refresh());
    const off = props.socket.on('group:changed', (g) => {
      if (g.contextId === props.id) void load();
    });
    const offLink = props.socket.on('link:changed', () => void load());
    props.socket.watchContext(props.id);
    return () => {
      off();
      offLink();
    };
  }, [props.id]);

  if (error) return <main class="main"><p class="error">{error}</p></main>;
  if (!context) return <main class="main" />;
  const active = links.some((l) => l.active);
  const showSettings = props.settings;

  async function activate() {
    setDialog(null);
    await api<LinkDto>(`/api/contexts/${props.id}/links`, { method: 'POST', body: '{}' });
    await load();
    navigate(`/app/c/${props.id}?chatpro`);
  }

  return (
    <main class="main" data-testid="context-view">
      <header class="context-header">
        <span class="kind">{KIND[context.kind]}</span>
        <h1 data-testid="context-subject">{context.subject}</h1>
        <button type="button" class="icon" title="Impostazioni Chat Pro" onClick={() => navigate(`/app/c/${props.id}${showSettings ? '' : '?chatpro'}`)} data-testid="open-settings">
          <Lock active={active} title={active ? 'Chat Pro attiva' : 'Chat Pro disattiva'} /> <span class="small">Chat Pro</span>
        </button>
      </header>
      {context.event && (
        <p class="muted">
          {new Date(context.event.start).toLocaleString('it-IT', { timeZone: context.event.timeZone })} – {new Date(context.event.end).toLocaleString('it-IT', { timeZone: context.event.timeZone })}
          {context.event.location && ` · ${context.event.location}`}
        </p>
      )}
      {context.email && context.email.to.length > 0 && <p class="muted">A: {context.email.to.join(', ')}</p>}
      {showSettings && (
        <section class="settings" data-testid="settings">
          <h2>Chat Pro</h2>
          {links.length === 0 && <p class="muted">Nessun link: usa Azioni › Attiva conversazione esterna.</p>}
          {links.map((l) => (
            <LinkSettings key={`${l.id}-${l.updatedAt}`} link={l} users={props.users} onSaved={() => void load()} onEmail={setEmailFor} />
          ))}
          {links.length > 0 && (
            <button type="button" class="button" onClick={() => void activate()}>
              Aggiungi un altro link
            </button>
          )}
        </section>
      )}
      <details class="card" open={!showSettings}>
        <summary>Corpo del messaggio</summary>
        <BodySection subject={context.subject} bodyHtml={context.bodyHtml} attachments={context.attachments} t={t} />
      </details>
      <section class="discussions card">
        <div class="row-between">
          <h2>Discussioni</h2>
          <div class="menu">
            <button type="button" class="button" onClick={() => setMenu((m) => !m)} aria-haspopup="menu" data-testid="actions">
              Azioni ▾
            </button>
            {menu && (
              <ul class="dropdown" role="menu" onClick={() => setMenu(false)}>
                <li><button type="button" role="menuitem" onClick={() => setDialog('group')} data-testid="create-group">{t('action.createGroup')}</button></li>
                <li><button type="button" role="menuitem" onClick={() => setDialog('confirm')} data-testid="activate-external">{t('action.activateExternal')}</button></li>
                <li><button type="button" role="menuitem" onClick={() => setDialog('merge')} data-testid="merge-groups">Unisci gruppi</button></li>
                <li><button type="button" role="menuitem" onClick={() => setDialog('external')} data-testid="add-external">Aggiungi esterno</button></li>
                {context.kind === 'note' && (
                  <li><button type="button" role="menuitem" onClick={() => void saveAsTemplate(context)}>Salva come modello</button></li>
                )}
              </ul>
            )}
          </div>
        </div>
        <nav class="tabs" aria-label="Gruppi">
          {groups.map((g) => (
            <button type="button" key={g.id} class={`tab ${selected === g.id ? 'selected' : ''}`} onClick={() => setSelected(g.id)} data-testid="group-tab" data-kind={g.kind}>
              {g.kind === 'public' ? 'Discussione pubblica' : g.name || 'Gruppo'}
              {g.kind === 'external' && <span class="badge-ext">esterno</span>}
            </button>
          ))}
        </nav>
        {selected && <GroupChat key={selected} group={groups.find((g) => g.id === selected)!} me={props.me} />}
      </section>
      {dialog === 'confirm' && (
        <Dialog title={t('action.activateExternal')} onClose={() => setDialog(null)}>
          <p>Chiunque abbia il link potrà accedere e scrivere in questa conversazione fino alla scadenza. Confermi?</p>
          <button type="button" class="button primary" onClick={() => void activate()} data-testid="confirm-activate">
            Attiva
          </button>
        </Dialog>
      )}
      {dialog === 'group' && <CreateGroup contextId={props.id} users={context.viewers} me={props.me} onDone={() => { setDialog(null); void load(); }} />}
      {dialog === 'merge' && <MergeGroups contextId={props.id} groups={groups.filter((g) => g.kind !== 'public')} onDone={() => { setDialog(null); void load(); }} />}
      {dialog === 'external' && <AddExternal contextId={props.id} groups={groups.filter((g) => g.kind !== 'public')} onDone={() => { setDialog(null); void load(); }} />}
      {emailFor && <EmailComposer context={context} link={emailFor} onClose={() => setEmailFor(null)} />}
    </main>
  );
}

async function saveAsTemplate(context: ContextDto) {
  const name = prompt('Nome del modello', context.subject);
  if (!name) return;
  const tpl = await api<{ id: string }>(`/api/contexts/${context.id}/template`, { method: 'POST', body: JSON.stringify({ name }) });
  navigate(`/app/templates/${tpl.id}`);
}

export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren }) {
  return (
    <div class="modal" role="dialog" aria-label={props.title} onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class="card stack">
        <div class="row-between">
          <h3>{props.title}</h3>
          <button type="button" class="icon" aria-label="Chiudi" onClick={props.onClose}>
            ×
          </button>
        </div>
        {props.children}
      </div>
    </div>
  );
}

function CreateGroup(props: { contextId: string; users: UserDto[]; me: UserDto; onDone: () => void }) {
  const [name, setName] = useState('');
  const [members, setMembers] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      await api(`/api/contexts/${props.contextId}/groups`, { method: 'POST', body: JSON.stringify({ name, memberIds: members }) });
      props.onDone();
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Errore');
    }
  }
  return (
    <Dialog title="Crea gruppo" onClose={props.onDone}>
      <form class="stack" onSubmit={(e) => void submit(e)}>
        <label>
          Nome <input value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} required maxLength={200} data-testid="group-name" />
        </label>
        {props.users.filter((u) => u.id !== props.me.id).map((u) => (
          <label key={u.id} class="check">
            <input type="checkbox" onChange={(e) => setMembers((m) => ((e.target as HTMLInputElement).checked ? [...m, u.id] : m.filter((x) => x !== u.id)))} /> {u.name}
          </label>
        ))}
        {error && <p class="error">{error}</p>}
        <button type="submit" class="button primary">Crea</button>
      </form>
    </Dialog>
  );
}

function MergeGroups(props: { contextId: string; groups: GroupDto[]; onDone: () => void }) {
  const [chosen, setChosen] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      await api(`/api/contexts/${props.contextId}/groups/merge`, { method: 'POST', body: JSON.stringify({ groupIds: chosen }) });
      props.onDone();
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Errore');
    }
  }
  return (
    <Dialog title="Unisci gruppi" onClose={props.onDone}>
      <form class="stack" onSubmit={(e) => void submit(e)}>
        <p class="muted small">Tutti i partecipanti vedranno l’intera conversazione dei gruppi uniti.</p>
        {props.groups.map((g) => (
          <label key={g.id} class="check">
            <input type="checkbox" onChange={(e) => setChosen((c) => ((e.target as HTMLInputElement).checked ? [...c, g.id] : c.filter((x) => x !== g.id)))} />{' '}
            {g.name || 'Gruppo'} <span class="muted small">({g.members.map((m) => m.name).join(', ')})</span>
          </label>
        ))}
        {error && <p class="error">{error}</p>}
        <button type="submit" class="button primary" disabled={chosen.length < 2}>Unisci</button>
      </form>
    </Dialog>
  );
}

function AddExternal(props: { contextId: string; groups: GroupDto[]; onDone: () => void }) {
  const [people, setPeople] = useState<{ id: string; name: string; email: string }[]>([]);
  const [person, setPerson] = useState('');
  const [group, setGroup] = useState(props.groups[0]?.id ?? '');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void api<{ items: { id: string; name: string; email: string }[] }>(`/api/contexts/${props.contextId}/externals`).then((r) => {
      setPeople(r.items);
      setPerson(r.items[0]?.id ?? '');
    });
  }, []);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      await api(`/api/groups/${group}/members`, { method: 'POST', body: JSON.stringify({ externalUserId: person }) });
      props.onDone();
    } catch (err) {
      setError(err instanceof Error ? err.message : 'Errore');
    }
  }
  return (
    <Dialog title="Aggiungi esterno" onClose={props.onDone}>
      <form class="stack" onSubmit={(e) => void submit(e)}>
        {people.length === 0 ? (
          <p class="muted">Nessun esterno ha ancora effettuato l’accesso tramite un link di questo messaggio.</p>
        ) : (
          <>
            <label>
              Persona
              <select value={person} onChange={(e) => setPerson((e.target as HTMLSelectElement).value)}>
                {people.map((p) => <option key={p.id} value={p.id}>{p.name} ({p.email})</option>)}
              </select>
            </label>
            <label>
              Gruppo
              <select value={group} onChange={(e) => setGroup((e.target as HTMLSelectElement).value)}>
                {props.groups.map((g) => <option key={g.id} value={g.id}>{g.name || 'Gruppo'}</option>)}
              </select>
            </label>
            {error && <p class="error">{error}</p>}
            <button type="submit" class="button primary" disabled={!group}>Aggiungi</button>
          </>
        )}
      </form>
    </Dialog>
  );
}
