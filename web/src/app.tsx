/**
 * The workspace (/app): the message list with unread badges and notifications, and the screens
 * of a context, a new context, the templates and the profile options.
 */
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ContextSummaryDto, MeDto, NotificationDto, Page, UserDto } from '@chatpro/common';
import { api } from './api.ts';
import { SignIn } from './SignIn.tsx';
import { ContextView } from './workspace/ContextView.tsx';
import { Lock } from './workspace/Lock.tsx';
import { NewContext } from './workspace/NewContext.tsx';
import { Profile } from './workspace/Profile.tsx';
import { Templates } from './workspace/Templates.tsx';
import { Link, navigate, useRoute } from './workspace/router.tsx';
import { connectWorkspace } from './workspace/socket.ts';
import './style.css';
import './chat/chat.css';
import './workspace/workspace.css';

const KIND = { email: 'Email', note: 'Nota', event: 'Evento' } as const;

function Workspace() {
  const [me, setMe] = useState<MeDto | null>(null);
  useEffect(() => {
    api<MeDto>('/api/me').then(setMe, () => setMe({ kind: 'anonymous' }));
  }, []);
  if (!me) return null;
  if (me.kind !== 'internal') {
    return (
      <main class="shell">
        <section class="card stack">
          <h1>Accedi all’area di lavoro</h1>
          <p class="muted">Usa l’account della tua organizzazione.</p>
          <SignIn audience="internal" returnTo={location.pathname} />
        </section>
      </main>
    );
  }
  return <Shell me={me.user} organisation={me.organisation.name} />;
}

function Shell(props: { me: UserDto; organisation: string }) {
  const route = useRoute();
  const [contexts, setContexts] = useState<ContextSummaryDto[]>([]);
  const [users, setUsers] = useState<UserDto[]>([]);
  const [notifications, setNotifications] = useState<{ items: NotificationDto[]; unread: number }>({ items: [], unread: 0 });
  const [panel, setPanel] = useState(false);
  const refresh = useMemo(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Bursts of events make one reload.
    return () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        void api<Page<ContextSummaryDto>>('/api/contexts?limit=100').then((p) => setContexts(p.items));
        void api<{ items: NotificationDto[]; unread: number }>('/api/notifications?limit=30').then(setNotifications);
      }, 100);
    };
  }, []);
  const socket = useMemo(() => connectWorkspace(refresh), []);
  useEffect(() => {
    refresh();
    void api<{ items: UserDto[] }>('/api/users').then((r) => setUsers(r.items));
    return () => socket.close();
  }, []);

  async function openNotification(n: NotificationDto) {
    setPanel(false);
    await api('/api/notifications/read', { method: 'POST', body: JSON.stringify({ id: n.id }) });
    refresh();
    navigate(`/app/c/${n.contextId}`);
  }

  async function logout() {
    await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' });
    location.href = '/app';
  }

  return (
    <div class="workspace">
      <aside class="sidebar">
        <div class="brand row-between">
          <strong>ChatPro</strong>
          <span class="muted small">{props.organisation}</span>
        </div>
        <div class="row wrap toolbar">
          <Link href="/app/new" class="button primary" testid="new">Nuovo</Link>
          <Link href="/app/templates" class="button">Modelli</Link>
          <button type="button" class="button bell" onClick={() => setPanel((p) => !p)} data-testid="bell" aria-label="Notifiche">
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
              <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9M13.73 21a2 2 0 0 1-3.46 0" />
            </svg>
            {notifications.unread > 0 && <span class="badge" data-testid="unread-total">{notifications.unread}</span>}
          </button>
        </div>
        {panel && (
          <ul class="notifications card" data-testid="notifications">
            {notifications.items.length === 0 && <li class="muted">Nessuna notifica</li>}
            {notifications.items.map((n) => (
              <li key={n.id} class={n.readAt ? '' : 'unread'}>
                <button type="button" onClick={() => void openNotification(n)}>
                  <strong>{n.contextSubject}</strong>
                  <span class="small">
                    {n.kind === 'access'
                      ? `Accesso di ${n.externalUser?.name ?? ''} (${n.externalUser?.email ?? ''})`
                      : `${n.message?.authorName ?? ''}: ${n.message?.body ?? ''}`}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
        <h2 class="small muted">Messaggi</h2>
        <ul class="message-list" data-testid="message-list">
          {contexts.map((c) => (
            <li key={c.id} class={route.name === 'context' && route.id === c.id ? 'current' : ''} data-testid="context-item" data-id={c.id}>
              <Link href={`/app/c/${c.id}`}>
                <div class="row-between">
                  <span class="kind">{KIND[c.kind]}</span>
                  <span class="row">
                    <Lock active={c.chatActive} />
                    {c.unread > 0 && <span class="badge" data-testid="badge">{c.unread}</span>}
                  </span>
                </div>
                <div class="subject">{c.subject}</div>
                {c.lastMessage && (
                  <div class="last muted small">
                    {c.lastMessage.authorName}: {c.lastMessage.body}
                  </div>
                )}
              </Link>
            </li>
          ))}
        </ul>
        <div class="footer row-between small">
          <Link href="/app/profile">{props.me.name}</Link>
          <button type="button" class="link-plain" onClick={() => void logout()}>Esci</button>
        </div>
      </aside>
      {route.name === 'context' && <ContextView key={route.id} id={route.id} settings={route.settings} me={props.me} users={users} socket={socket} />}
      {route.name === 'new' && <NewContext users={users} />}
      {route.name === 'templates' && <Templates id={route.id} users={users} />}
      {route.name === 'profile' && <Profile />}
      {route.name === 'home' && (
        <main class="main">
          <p class="muted">Scegli un messaggio dalla lista, o creane uno nuovo.</p>
        </main>
      )}
    </div>
  );
}

render(<Workspace />, document.getElementById('root')!);
