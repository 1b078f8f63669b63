/** The toolbar popup: recent contexts with their unread badges; open, copy link, share. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import browser from 'webextension-polyfill';
import type { ContextSummaryDto } from '@chatpro/common';
import { ask, type Status } from '../../src/messages.ts';

function Row(props: { context: ContextSummaryDto; onNote: (note: string) => void }) {
  const { context, onNote } = props;
  const withLink = async (use: (url: string) => Promise<unknown>) => {
    const link = await ask({ type: 'context:link', contextId: context.id });
    if (!link) return onNote('Nessuna chat attiva su questo contesto.');
    await use(link.url);
  };
  return (
    <li data-testid="context" data-context-id={context.id} style="padding:6px 0;border-bottom:1px solid #e5e7eb">
      <a href="#" style="font-weight:bold;color:#111827" onClick={(e) => (e.preventDefault(), void ask({ type: 'open:context', contextId: context.id }))}>
        {context.subject}
      </a>{' '}
      {context.unread > 0 && (
        <span data-testid="unread" style="background:#dc2626;color:#fff;border-radius:9px;padding:0 6px;font-size:11px">
          {context.unread}
        </span>
      )}
      {context.lastMessage && <div style="color:#6b7280;font-size:12px">{`${context.lastMessage.authorName}: ${context.lastMessage.body.slice(0, 80)}`}</div>}
      {context.chatActive && (
        <div style="margin-top:4px">
          <button data-testid="copy" onClick={() => void withLink((url) => navigator.clipboard.writeText(url).then(() => onNote('Link copiato.')))}>
            Copia link
          </button>{' '}
          <button data-testid="whatsapp" onClick={() => void withLink((url) => ask({ type: 'share:whatsapp', subject: context.subject, url }))}>
            WhatsApp
          </button>
        </div>
      )}
    </li>
  );
}

function Popup() {
  const [status, setStatus] = useState<Status | null>(null);
  const [contexts, setContexts] = useState<ContextSummaryDto[] | null>(null);
  const [note, setNote] = useState('');
  useEffect(() => {
    ask({ type: 'status' })
      .then(async (s) => {
        setStatus(s);
        if (s.user) setContexts(await ask({ type: 'contexts' }));
      })
      .catch((err: unknown) => setNote(err instanceof Error ? err.message : String(err)));
  }, []);
  return (
    <main style="font:13px/1.4 system-ui,sans-serif;width:340px;padding:10px">
      <h1 style="font-size:15px;margin:0 0 8px">ChatPro</h1>
      {status && !status.user && (
        <p>
          Non collegato. <button onClick={() => void browser.runtime.openOptionsPage()}>Opzioni</button>
        </p>
      )}
      {note && <p data-testid="note">{note}</p>}
      {contexts && contexts.length === 0 && <p>Nessun contesto recente.</p>}
      {contexts && (
        <ul style="list-style:none;margin:0;padding:0" data-testid="contexts">
          {contexts.map((c) => (
            <Row key={c.id} context={c} onNote={setNote} />
          ))}
        </ul>
      )}
    </main>
  );
}

render(<Popup />, document.getElementById('app')!);
