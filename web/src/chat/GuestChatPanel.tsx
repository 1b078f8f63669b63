/**
 * A guest's side of the conversation, shared by the guest page and the Outlook task pane: the
 * messages, the notices (offline, errors) and the text box, or "Chat chiusa" once the link closed.
 */
import type { AttachmentDto } from '@chatpro/common';
import { api } from '../api.ts';
import type { Translate } from '../i18n.ts';
import { Composer } from './Composer.tsx';
import { MessageList } from './MessageList.tsx';
import type { useChat } from './useChat.ts';

/** The guest API of a link: `<server>/api/guest/<token>` (the server may be another origin). */
export const guestApiBase = (token: string, server = '') => `${server}/api/guest/${encodeURIComponent(token)}`;

export function GuestChatPanel(props: {
  chat: ReturnType<typeof useChat>;
  me: { id: string };
  guestApi: string;
  /** The link was already closed when the page loaded. */
  closed: boolean;
  t: Translate;
  locale: string;
}) {
  const { chat, t, guestApi } = props;
  const closed = props.closed || chat.closed;

  async function upload(files: File[]): Promise<AttachmentDto[]> {
    const form = new FormData();
    for (const f of files) form.append('file', f, f.name);
    return (await api<{ attachments: AttachmentDto[] }>(`${guestApi}/uploads`, { method: 'POST', body: form })).attachments;
  }

  return (
    <>
      {!chat.connected && chat.pending.length > 0 && <p class="notice">{t('chat.offline')}</p>}
      {chat.error && (
        <p class="notice" role="alert">
          {chat.error}
        </p>
      )}
      <MessageList
        messages={chat.messages}
        pending={chat.pending}
        group={chat.group}
        me={{ kind: 'external', id: props.me.id }}
        typing={chat.typing}
        t={t}
        locale={props.locale}
        fileUrl={(id) => `${guestApi}/files/${id}`}
        onRetry={chat.retry}
        onDiscard={chat.discard}
        onSeen={chat.markRead}
      />
      {closed ? (
        <div class="notice closed" data-testid="closed">
          <strong>{t('link.closed')}</strong> · {t('link.closedHelp')}
        </div>
      ) : (
        <Composer t={t} disabled={false} upload={upload} onSend={chat.send} onTyping={chat.setTyping} />
      )}
    </>
  );
}
