import { Clip } from './Clip.tsx';
import { useRef, useState } from 'preact/hooks';
import type { AttachmentDto } from '@chatpro/common';
import { ApiError } from '../api.ts';
import type { Translate } from '../i18n.ts';

export interface ComposerProps {
  t: Translate;
  disabled: boolean;
  /** Uploads files before the message goes; answers the stored attachments. */
  upload: (files: File[]) => Promise<AttachmentDto[]>;
  onSend: (body: string, attachments: AttachmentDto[]) => void;
  onTyping: (typing: boolean) => void;
}

/** Text box with attachments by picker or drag and drop. Enter sends, Shift+Enter starts a new line. */
export function Composer(props: ComposerProps) {
  const { t } = props;
  const [text, setText] = useState('');
  const [files, setFiles] = useState<File[]>([]);
  const [busy, setBusy] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const picker = useRef<HTMLInputElement>(null);

  async function submit(e?: Event) {
    e?.preventDefault();
    if (props.disabled || busy) return;
    const body = text.trim();
    if (!body && files.length === 0) return;
    setBusy(true);
    setError(null);
    try {
      const attachments = files.length ? await props.upload(files) : [];
      props.onSend(body, attachments);
      setText('');
      setFiles([]);
      props.onTyping(false);
    } catch (err) {
      setError(err instanceof ApiError && err.code === 'payload_too_large' ? t('chat.tooLarge', { name: files.map((f) => f.name).join(', ') }) : err instanceof Error ? err.message : t('error.generic'));
    } finally {
      setBusy(false);
    }
  }

  const addFiles = (list: FileList | null | undefined) => {
    if (list?.length) setFiles((f) => [...f, ...Array.from(list)]);
  };

  return (
    <form
      class={`composer${dragging ? ' dragging' : ''}`}
      onSubmit={(e) => void submit(e)}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        addFiles(e.dataTransfer?.files);
      }}
      data-testid="composer"
    >
      {dragging && <div class="drop-hint">{t('chat.dropHere')}</div>}
      {files.length > 0 && (
        <ul class="chosen">
          {files.map((f, i) => (
            <li key={`${f.name}-${i}`}>
              <Clip /> {f.name}{' '}
              <button type="button" class="link" aria-label="×" onClick={() => setFiles((all) => all.filter((_, j) => j !== i))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      <div class="row">
        <button type="button" class="icon" title={t('chat.attach')} aria-label={t('chat.attach')} disabled={props.disabled} onClick={() => picker.current?.click()}>
          <Clip />
        </button>
        <input ref={picker} type="file" multiple hidden data-testid="file-input" onChange={(e) => addFiles((e.target as HTMLInputElement).files)} />
        <textarea
          rows={1}
          value={text}
          disabled={props.disabled}
          placeholder={t('chat.placeholder')}
          aria-label={t('chat.placeholder')}
          maxLength={10000}
          onInput={(e) => {
            setText((e.target as HTMLTextAreaElement).value);
            props.onTyping(true);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) void submit(e);
          }}
        />
        <button type="submit" class="button primary" disabled={props.disabled || busy}>
          {t('chat.send')}
        </button>
      </div>
    </form>
  );
}
