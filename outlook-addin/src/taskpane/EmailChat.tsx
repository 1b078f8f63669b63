/**
 * The conversation beside the email, with the guest page's own components: body section, live
 * chat (resume and outbox included), text box with attachments, and the export.
 */
import { useState } from 'preact/hooks';
import type { AttachmentDto, GuestViewDto } from '@chatpro/common';
import { api } from '@chatpro/web/api';
import { BodySection } from '@chatpro/web/chat/BodySection.tsx';
import { Composer } from '@chatpro/web/chat/Composer.tsx';
import { MessageList } from '@chatpro/web/chat/MessageList.tsx';
import { useChat } from '@chatpro/web/chat/useChat.ts';
import type { Translate } from '@chatpro/web/i18n';
import { publicUrl } from './publicUrl.ts';

export function EmailChat(props: { token: string; view: GuestViewDto; t: Translate; locale: string }) {
  const { view, t, token } = props;
  const me = view.me!;
  const guestApi = `${publicUrl}/api/guest/${encodeURIComponent(token)}`;
  const chat = useChat({ kind: 'guest', token }, { as: 'external', url: publicUrl, me });
  const [bodyOpen, setBodyOpen] = useState(false);

  async function upload(files: File[]): Promise<AttachmentDto[]> {
    const form = new FormData();
    for (const f of files) form.append('file', f, f.name);
    return (await api<{ attachments: AttachmentDto[] }>(`${guestApi}/uploads`, { method: 'POST', body: form })).attachments;
  }

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
        {!chat.connected && chat.pending.length > 0 && <p class="notice">{t('chat.offline')}</p>}
        <MessageList
          messages={chat.messages}
          pending={chat.pending}
          group={chat.group}
          me={{ kind: 'external', id: me.id }}
          typing={chat.typing}
          t={t}
          locale={props.locale}
          fileUrl={(id) => `${guestApi}/files/${id}`}
          onRetry={chat.retry}
          onDiscard={chat.discard}
          onSeen={chat.markRead}
        />
        {view.active ? (
          <Composer t={t} disabled={false} upload={upload} onSend={chat.send} onTyping={chat.setTyping} />
        ) : (
          <div class="notice closed" data-testid="closed">
            <strong>{t('link.closed')}</strong> · {t('link.closedHelp')}
          </div>
        )}
      </section>
    </div>
  );
}
