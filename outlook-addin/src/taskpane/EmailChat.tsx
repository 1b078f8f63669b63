/**
 * The conversation beside the email, with the guest page's own components: body section, live
 * chat (resume and outbox included), text box with attachments, and the export.
 */
import { useState } from 'preact/hooks';
import type { GuestViewDto } from '@chatpro/common';
import { BodySection } from '@chatpro/web/chat/BodySection.tsx';
import { GuestChatPanel, guestApiBase } from '@chatpro/web/chat/GuestChatPanel.tsx';
import { useChat } from '@chatpro/web/chat/useChat.ts';
import type { Translate } from '@chatpro/web/i18n';
import { publicUrl } from './publicUrl.ts';

export function EmailChat(props: { token: string; view: GuestViewDto; t: Translate; locale: string }) {
  const { view, t, token } = props;
  const me = view.me!;
  const guestApi = guestApiBase(token, publicUrl);
  const chat = useChat({ kind: 'guest', token }, { as: 'external', url: publicUrl, me });
  const [bodyOpen, setBodyOpen] = useState(false);


  return (
    <div class="pane email-chat" data-testid="conversation">
      <header class="topbar">
        <div class="title">
          <span class="org">{view.organisation}</span>
          <strong data-testid="subject">{view.subject}</strong>
        </div>
        <span class={`dot ${chat.connected ? 'online' : 'offline'}`} title={chat.connected ? 'online' : 'offline'} />
        <a class="icon" href={`${guestApi}/export`} download title={t('action.export')} aria-label={t('action.export')} data-testid="export">
          ⤓
        </a>
      </header>
      <section class="section body-section" aria-label={t('body.title')}>
        <button type="button" class="section-bar" onClick={() => setBodyOpen((o) => !o)} aria-expanded={bodyOpen} data-testid="toggle-body">
          {t('body.title')}
        </button>
        {bodyOpen &&
          (view.context ? (
            <BodySection subject={view.context.subject} bodyHtml={view.context.bodyHtml} attachments={view.context.attachments} t={t} />
          ) : (
            <p class="muted pad">{t('body.hidden')}</p>
          ))}
      </section>
      <section class="section chat-section" aria-label={t('chat.title')}>
        <GuestChatPanel chat={chat} me={me} guestApi={guestApi} closed={!view.active} t={t} locale={props.locale} />
      </section>
    </div>
  );
}
