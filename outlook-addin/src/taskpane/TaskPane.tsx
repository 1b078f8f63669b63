/**
 * Decides what the pane shows for the open email: its conversation when the email carries a
 * ChatPro link (signing the reader in first, through the Office dialog), otherwise that there is
 * none and, for internal users, "Avvia chat su questa email".
 */
import { useEffect, useState } from 'preact/hooks';
import type { GuestViewDto, MeDto } from '@chatpro/common';
import { guestApiBase } from '@chatpro/web/chat/GuestChatPanel.tsx';
import { api, ApiError } from '@chatpro/web/api';
import { useLocale } from '@chatpro/web/i18n';
import { SignInCancelled, signInUrl, signInWithDialog } from '../office/dialog.ts';
import type { FoundLink } from '../office/links.ts';
import { findLinkInItem } from '../office/readItem.ts';
import { EmailChat } from './EmailChat.tsx';
import { NoLink } from './NoLink.tsx';
import { publicUrl } from './publicUrl.ts';

type State =
  | { state: 'loading' }
  | { state: 'no-link'; me: MeDto }
  | { state: 'invalid' }
  | { state: 'sign-in'; link: FoundLink; view: GuestViewDto }
  | { state: 'chat'; link: FoundLink; view: GuestViewDto }
  | { state: 'error'; message: string };

export function TaskPane() {
  const { locale, t } = useLocale();
  const [itemKey, setItemKey] = useState(0);
  const [state, setState] = useState<State>({ state: 'loading' });
  const [signInError, setSignInError] = useState<string | null>(null);

  // A pinned pane stays open while the person moves to another email: start over for it.
  useEffect(() => {
    const mailbox = Office.context.mailbox;
    mailbox.addHandlerAsync?.(Office.EventType.ItemChanged, () => setItemKey((k) => k + 1));
  }, []);

  async function load() {
    setState({ state: 'loading' });
    const item = Office.context.mailbox.item as Office.MessageRead | null;
    if (!item) return setState({ state: 'error', message: 'Seleziona un’email per vedere la sua chat ChatPro.' });
    try {
      const link = await findLinkInItem(item, publicUrl);
      if (!link) return setState({ state: 'no-link', me: await api<MeDto>(`${publicUrl}/api/me`) });
      const view = await api<GuestViewDto>(guestApiBase(link.token, publicUrl));
      setState(view.signedIn ? { state: 'chat', link, view } : { state: 'sign-in', link, view });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 400)) return setState({ state: 'invalid' });
      setState({ state: 'error', message: t('error.generic') });
    }
  }
  useEffect(() => void load(), [itemKey]);

  async function signIn(audience: 'internal' | 'external', link?: string) {
    setSignInError(null);
    try {
      await signInWithDialog(signInUrl(publicUrl, { audience, ...(link ? { link } : {}) }));
      await load();
    } catch (err) {
      setSignInError(err instanceof SignInCancelled ? 'Accesso annullato.' : err instanceof Error ? err.message : t('error.generic'));
    }
  }

  switch (state.state) {
    case 'loading':
      return <main class="pane muted pad" data-testid="loading" />;
    case 'error':
      return <Notice title="ChatPro" text={state.message} />;
    case 'invalid':
      return <Notice title={t('link.invalid')} text={t('link.invalidHelp')} testId="invalid-link" />;
    case 'no-link':
      return <NoLink me={state.me} t={t} onSignIn={() => void signIn('internal')} signInError={signInError} />;
    case 'sign-in':
      return (
        <main class="pane pad stack" data-testid="sign-in">
          <p class="muted small">{t('signIn.intro', { org: state.view.organisation })}</p>
          <h1 data-testid="subject">{state.view.subject}</h1>
          {!state.view.active && <p class="notice">{t('link.closed')}</p>}
          <p>{t('signIn.title')}</p>
          <button type="button" class="button primary" data-testid="sign-in-button" onClick={() => void signIn('external', state.link.token)}>
            Accedi
          </button>
          {signInError && <p class="error" role="alert">{signInError}</p>}
          <p class="muted small">{t('signIn.privacy')}</p>
        </main>
      );
    case 'chat':
      return <EmailChat key={state.link.token} token={state.link.token} view={state.view} t={t} locale={locale} />;
  }
}

function Notice(props: { title: string; text: string; testId?: string }) {
  return (
    <main class="pane pad stack" data-testid={props.testId}>
      <h1>{props.title}</h1>
      <p class="muted">{props.text}</p>
    </main>
  );
}
