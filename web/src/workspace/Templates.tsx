/**
 * "Modelli di attività": the organisation's note templates; the preview has Genera, which makes a
 * ChatPro configuration (its own link and participants). Each configuration has Modifica and the
 * HTML of a website button that opens its link ("Richiesta da sito").
 */
import { useEffect, useState } from 'preact/hooks';
import type { LinkDto, TemplateDto, UserDto } from '@chatpro/common';
import { api } from '../api.ts';
import { LinkSettings } from './LinkSettings.tsx';
import { Link } from './router.tsx';

export function websiteSnippet(url: string, label = 'Contattaci'): string {
  const href = url.replace(/"/g, '&quot;');
  return `<a href="${href}" target="_blank" rel="noopener" style="display:inline-block;padding:12px 22px;background:#2563eb;color:#fff;border-radius:6px;font-family:Arial,sans-serif;font-weight:bold;text-decoration:none">${label}</a>`;
}

export function Templates(props: { id?: string; users: UserDto[] }) {
  const [templates, setTemplates] = useState<TemplateDto[]>([]);
  useEffect(() => {
    void api<{ items: TemplateDto[] }>('/api/templates').then((r) => setTemplates(r.items));
  }, [props.id]);
  const current = templates.find((t) => t.id === props.id);
  return (
    <main class="main templates" data-testid="templates">
      <h1>Modelli di attività</h1>
      <div class="split">
        <ul class="list">
          {templates.map((t) => (
            <li key={t.id}>
              <Link href={`/app/templates/${t.id}`} testid="template-item">{t.name}</Link>
            </li>
          ))}
          {templates.length === 0 && <li class="muted">Nessun modello: apri una nota e scegli Azioni › Salva come modello.</li>}
        </ul>
        {current && <TemplatePreview key={current.id} template={current} users={props.users} />}
      </div>
    </main>
  );
}

function TemplatePreview(props: { template: TemplateDto; users: UserDto[] }) {
  const [links, setLinks] = useState<LinkDto[]>([]);
  const [editing, setEditing] = useState<string | null>(null);
  const load = () => api<{ items: LinkDto[] }>(`/api/templates/${props.template.id}/links`).then((r) => setLinks(r.items));
  useEffect(() => {
    void load();
  }, []);
  async function generate() {
    const link = await api<LinkDto>(`/api/templates/${props.template.id}/links`, { method: 'POST', body: '{}' });
    await load();
    setEditing(link.id);
  }
  return (
    <section class="card stack" data-testid="template-preview">
      <h2>{props.template.subject}</h2>
      <div class="preview" dangerouslySetInnerHTML={{ __html: props.template.bodyHtml }} />
      <button type="button" class="button primary" onClick={() => void generate()} data-testid="generate">
        Genera
      </button>
      {links.map((l, i) => (
        <div key={l.id} class="card stack" data-testid="template-config">
          <div class="row-between">
            <strong>Configurazione {i + 1}</strong>
            <span class="muted small">{l.notifyUserIds.map((id) => props.users.find((u) => u.id === id)?.name ?? '').join(', ') || 'nessun partecipante'}</span>
            <button type="button" class="button" onClick={() => setEditing(editing === l.id ? null : l.id)}>
              Modifica
            </button>
          </div>
          {editing === l.id && (
            <>
              <LinkSettings link={l} users={props.users} onSaved={() => void load()} />
              <label>
                Pulsante per il sito web
                <textarea readOnly rows={3} value={websiteSnippet(l.url)} data-testid="snippet" />
              </label>
            </>
          )}
        </div>
      ))}
    </section>
  );
}
