import type { AttachmentDto, GroupDto, UserDto } from '@chatpro/common';
import { api } from '../api.ts';
import { Composer } from '../chat/Composer.tsx';
import { MessageList } from '../chat/MessageList.tsx';
import { useChat } from '../chat/useChat.ts';
import { useLocale } from '../i18n.ts';

async function upload(files: File[]): Promise<AttachmentDto[]> {
  const form = new FormData();
  for (const f of files) form.append('file', f, f.name);
  return (await api<{ attachments: AttachmentDto[] }>('/api/uploads', { method: 'POST', body: form })).attachments;
}

/** One group of a context's discussions, live, for an internal user. */
export function GroupChat(props: { group: GroupDto; me: UserDto }) {
  const { t, locale } = useLocale();
  const chat = useChat({ kind: 'group', groupId: props.group.id }, { as: 'internal', me: props.me });
  return (
    <div class="group-chat" data-testid="group-chat" data-group-id={props.group.id}>
      <MessageList
        messages={chat.messages}
        pending={chat.pending}
        group={chat.group}
        me={{ kind: 'internal', id: props.me.id }}
        typing={chat.typing}
        t={t}
        locale={locale}
        fileUrl={(id) => `/api/attachments/${id}`}
        onRetry={chat.retry}
        onDiscard={chat.discard}
        onSeen={chat.markRead}
      />
      <Composer t={t} disabled={false} upload={upload} onSend={chat.send} onTyping={chat.setTyping} />
    </div>
  );
}
