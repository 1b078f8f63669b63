/**
 * The guest page, /c/:token: sign in, then the context body, the chat and the text box, with the
 * menu of the spec (Esporta, Vai a corpo messaggio, Vai a chat, Logout).
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { GuestViewDto } from '@chatpro/common';
import { api, ApiError } from './api.ts';
import { BodySection } from './chat/BodySection.tsx';
import { GuestChatPanel, guestApiBase } from './chat/GuestChatPanel.tsx';
import { useChat } from './chat/useChat.ts';
import { useLocale, type Translate } from './i18n.ts';
import { SignIn } from './SignIn.tsx';
import './style.css';
import './chat/chat.css';

const token = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');

type Load = { state: 'loading' } | { state: 'invalid' } | { state: 'error' } | { state: 'ready'; view: GuestViewDto };

function Invalid({ t }: { t: Translate }) {
  return (
    <main class="shell">
      <section class="card stack" data-testid="invalid-link">
        <h1>{t('link.invalid')}</h1>
        <p class="muted">{t('link.invalidHelp')}</p>
      </section>
    </main>
  );
}

function GuestApp() {
  const { locale, setLocale, t } = useLocale();
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  useEffect(() => {
    api<GuestViewDto>(guestApiBase(token)).then(
      (view) => setLoad({ state: 'ready', view }),
      (err: unknown) => setLoad(err instanceof ApiError && (err.status === 404 || err.status === 400) ? { state: 'invalid' } : { state: 'error' }),
    );
  }, []);
  if (load.state === 'loading') return <main class="shell" />;
  if (load.state === 'invalid') return <Invalid t={t} />;
  if (load.state === 'error') {
    return (
      <main class="shell">
        <p class="error">{t('error.generic')}</p>
      </main>
    );
  }
  const { view } = load;
  if (!view.signedIn) {
    return (
      <main class="shell">
        <section class="card stack" data-testid="sign-in">
          <p class="muted">{t('signIn.intro', { org: view.organisation })}</p>
          <h1 data-testid="subject">{view.subject}</h1>
          {!view.active && <p class="notice">{t('link.closed')}</p>}
          <h2 class="small">{t('signIn.title')}</h2>
          <SignIn audience="external" returnTo={location.pathname} link={token} t={t} />
          <p class="muted small">{t('signIn.privacy')}</p>
        </section>
      </main>
    );
  }
  return <Conversation view={view} t={t} locale={locale} toggleLocale={() => setLocale(locale === 'it' ? 'en' : 'it')} />;
}

function Conversation(props: { view: GuestViewDto; t: Translate; locale: string; toggleLocale: () => void }) {
  const { view, t } = props;
  const me = view.me!;
  const chat = useChat({ kind: 'guest', token }, { as: 'external', me });
  const [expanded, setExpanded] = useState<'chat' | 'body'>('chat');
  const [menuOpen, setMenuOpen] = useState(false);


  async function logout() {
    await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' });
    location.reload();
  }

  const choose = (what: 'chat' | 'body') => {
    setExpanded(what);
    setMenuOpen(false);
  };

  return (
    <div class={`guest expanded-${expanded}`}>
      <header class="topbar">
        <div class="title">
          <span class="org">{view.organisation}</span>
          <strong data-testid="subject">{view.subject}</strong>
        </div>
        <span class={`dot ${chat.connected ? 'online' : 'offline'}`} title={chat.connected ? 'online' : 'offline'} />
        <div class="menu">
          <button type="button" class="icon" aria-haspopup="menu" aria-expanded={menuOpen} aria-label={t('menu.open')} onClick={() => setMenuOpen((o) => !o)} data-testid="menu">
            ☰
          </button>
          {menuOpen && (
            <ul role="menu" class="dropdown">
              <li role="none">
                <a role="menuitem" href={`${guestApiBase(token)}/export`} download onClick={() => setMenuOpen(false)} data-testid="export">
                  {t('action.export')}
                </a>
              </li>
              <li role="none">
                <button role="menuitem" type="button" onClick={() => choose('body')} data-testid="go-body">
                  {t('action.goToBody')}
                </button>
              </li>
              <li role="none">
                <button role="menuitem" type="button" onClick={() => choose('chat')} data-testid="go-chat">
                  {t('action.goToChat')}
                </button>
              </li>
              <li role="none">
                <button role="menuitem" type="button" onClick={props.toggleLocale}>
                  {t('menu.language')}
                </button>
              </li>
              <li role="none" class="separator">
                <span class="muted small">{t('signedInAs', { name: me.name })}</span>
              </li>
              <li role="none">
                <button role="menuitem" type="button" onClick={() => void logout()} data-testid="logout">
                  {t('action.logout')}
                </button>
              </li>
            </ul>
          )}
        </div>
      </header>
      <section class="section body-section" aria-label={t('body.title')}>
        <button type="button" class="section-bar" onClick={() => setExpanded(expanded === 'body' ? 'chat' : 'body')} aria-expanded={expanded === 'body'}>
          {t('body.title')}
        </button>
        {expanded === 'body' &&
          (view.context ? (
            <BodySection subject={view.context.subject} bodyHtml={view.context.bodyHtml} attachments={view.context.attachments} t={t} />
          ) : (
            <p class="muted pad">{t('body.hidden')}</p>
          ))}
      </section>
      <section class="section chat-section" aria-label={t('chat.title')}>
        <button type="button" class="section-bar" onClick={() => setExpanded(expanded === 'chat' ? 'body' : 'chat')} aria-expanded={expanded === 'chat'}>
          {t('chat.title')}
        </button>
        {expanded === 'chat' && (
          <>
            <GuestChatPanel chat={chat} me={me} guestApi={guestApiBase(token)} closed={!view.active} t={t} locale={props.locale} />
          </>
        )}
      </section>
    </div>
  );
}

render(<GuestApp />, document.getElementById('root')!);
