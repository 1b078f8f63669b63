/**
 * "Nuova email": the context's email with the "Clicca qui per discuterne" button already in the
 * body, sent through the server's mail transport.
 */
import { useState } from 'preact/hooks';
import { chatButtonHtml } from '@chatpro/common/emailButton';
import type { ContextDto, LinkDto } from '@chatpro/common';
import { api } from '../api.ts';

export function EmailComposer(props: { context: ContextDto; link: LinkDto; onClose: () => void }) {
  const { context, link } = props;
  const [to, setTo] = useState((context.email?.to ?? []).join(', '));
  const [subject, setSubject] = useState(context.subject);
  const [html, setHtml] = useState(`${context.bodyHtml}${chatButtonHtml(link.url)}`);
  const [status, setStatus] = useState<string | null>(null);
  async function send(e: Event) {
    e.preventDefault();
    const recipients = to.split(/[,;\s]+/).filter(Boolean);
    try {
      const sent = await api<{ accepted: string[] }>(`/api/contexts/${context.id}/send-email`, {
        method: 'POST',
        body: JSON.stringify({ to: recipients, subject, html, linkId: link.id }),
      });
      setStatus(`Inviata a ${sent.accepted.join(', ')}`);
    } catch (err) {
      setStatus(err instanceof Error ? err.message : 'Invio non riuscito');
    }
  }
  return (
    <div class="modal" role="dialog" aria-label="Nuova email">
      <form class="card stack" onSubmit={(e) => void send(e)} data-testid="email-composer">
        <h3>Nuova email</h3>
        <label>
          A <input value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} required placeholder="nome@esempio.it" data-testid="email-to" />
        </label>
        <label>
          Oggetto <input value={subject} onInput={(e) => setSubject((e.target as HTMLInputElement).value)} required />
        </label>
        <div class="email-preview" contentEditable onInput={(e) => setHtml((e.target as HTMLElement).innerHTML)} dangerouslySetInnerHTML={{ __html: html }} data-testid="email-body" />
        <div class="row">
          <button type="submit" class="button primary" data-testid="email-send">
            Invia
          </button>
          <button type="button" class="button" onClick={props.onClose}>
            Chiudi
          </button>
          {status && <span role="status">{status}</span>}
        </div>
      </form>
    </div>
  );
}
