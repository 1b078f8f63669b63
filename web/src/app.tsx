import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ContextSummaryDto, MeDto, Page } from '@chatpro/common';
import { api } from './api.ts';
import { SignIn } from './SignIn.tsx';
import './style.css';

const KIND_LABEL = { email: 'Email', note: 'Nota', event: 'Evento' } as const;

function Workspace() {
  const [me, setMe] = useState<MeDto | null>(null);
  const [contexts, setContexts] = useState<ContextSummaryDto[]>([]);
  useEffect(() => {
    api<MeDto>('/api/me').then(setMe, () => setMe({ kind: 'anonymous' }));
  }, []);
  useEffect(() => {
    if (me?.kind === 'internal') void api<Page<ContextSummaryDto>>('/api/contexts').then((p) => setContexts(p.items));
  }, [me]);
  if (!me) return null;
  if (me.kind !== 'internal') {
    return (
      <main class="shell">
        <section class="card stack">
          <h1>Accedi all’area di lavoro</h1>
          <p class="muted">Usa l’account della tua organizzazione.</p>
          <SignIn audience="internal" returnTo="/app" />
        </section>
      </main>
    );
  }
  return (
    <main class="shell">
      <section class="card">
        <h1>{me.organisation.name}</h1>
        <p class="muted" data-testid="signed-in-as">
          {me.user.name} · {me.user.email}
        </p>
      </section>
      <section class="card">
        <h2>Messaggi</h2>
        <ul class="list">
          {contexts.map((c) => (
            <li key={c.id}>
              <span class="kind">{KIND_LABEL[c.kind]}</span>
              <span>{c.subject}</span>
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}

render(<Workspace />, document.getElementById('root')!);
