import { Clip } from './Clip.tsx';
import { useEffect, useRef } from 'preact/hooks';
import type { GroupDto, MessageDto } from '@chatpro/common';
import type { Translate } from '../i18n.ts';
import type { PendingMessage } from './useChat.ts';

const time = (iso: string, locale: string) =>
  new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'it-IT', { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export interface MessageListProps {
  messages: MessageDto[];
  pending: PendingMessage[];
  group: GroupDto | null;
  me: { kind: 'internal' | 'external'; id: string } | null;
  typing: { name: string }[];
  t: Translate;
  locale: string;
  /** Where a message attachment is downloaded from (guest and workspace differ). */
  fileUrl: (attachmentId: string) => string;
  onRetry: (clientId: string) => void;
  onDiscard: (clientId: string) => void;
  onSeen: (seq: number) => void;
}

/** Messages, oldest first. Text is always rendered as text: nothing a person writes is ever run. */
export function MessageList(props: MessageListProps) {
  const { messages, pending, me, t } = props;
  const end = useRef<HTMLDivElement>(null);
  // After a merge, numbers follow delivery rather than time: the highest one is what was read.
  const highest = messages.reduce((max, m) => Math.max(max, m.seq), 0);
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
    if (highest > 0 && document.visibilityState === 'visible') props.onSeen(highest);
  }, [highest, messages.length, pending.length]);
  const othersRead = (seq: number) =>
    props.group?.members.some((m) => !(m.kind === me?.kind && m.id === me?.id) && m.lastReadSeq >= seq) ?? false;
  const mine = (m: MessageDto) => m.author.kind === me?.kind && m.author.id === me?.id;
  return (
    <div class="messages" role="log" aria-live="polite" data-testid="messages">
      {messages.length === 0 && pending.length === 0 && <p class="muted empty">{t('chat.empty')}</p>}
      {messages.map((m) =>
        m.author.kind === 'system' ? (
          <div key={m.id} class="system" data-seq={m.seq}>
            {m.body} <time>{time(m.createdAt, props.locale)}</time>
          </div>
        ) : (
          <div key={m.id} class={`bubble ${mine(m) ? 'mine' : 'theirs'}`} data-seq={m.seq} data-testid="message">
            {!mine(m) && <div class="author">{m.author.name}</div>}
            {m.body && <div class="text">{m.body}</div>}
            {m.attachments.length > 0 && (
              <ul class="files">
                {m.attachments.map((a) => (
                  <li key={a.id}>
                    <a href={props.fileUrl(a.id)} download={a.fileName}>
                      <Clip /> {a.fileName}
                    </a>{' '}
                    <span class="muted">{formatSize(a.size)}</span>
                  </li>
                ))}
              </ul>
            )}
            <div class="meta">
              <time dateTime={m.createdAt}>{time(m.createdAt, props.locale)}</time>
              {mine(m) && othersRead(m.seq) && <span class="read"> · {t('chat.read')}</span>}
            </div>
          </div>
        ),
      )}
      {pending.map((p) => (
        <div key={p.clientId} class={`bubble mine pending ${p.state}`} data-testid="pending">
          {p.body && <div class="text">{p.body}</div>}
          {p.attachments.map((a) => (
            <div key={a.id} class="muted">
              <Clip /> {a.fileName}
            </div>
          ))}
          <div class="meta">
            {p.state === 'sending' ? (
              t('chat.sending')
            ) : (
              <>
                <button type="button" class="link" onClick={() => props.onRetry(p.clientId)}>
                  {p.error ? p.error : t('chat.failed')}
                </button>
                <button type="button" class="link" aria-label="×" onClick={() => props.onDiscard(p.clientId)}>
                  ×
                </button>
              </>
            )}
          </div>
        </div>
      ))}
      {props.typing.length > 0 && <div class="typing muted">{t('chat.typing', { name: props.typing.map((a) => a.name).join(', ') })}</div>}
      <div ref={end} />
    </div>
  );
}
