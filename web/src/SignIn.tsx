import { useEffect, useState } from 'preact/hooks';
import type { ProviderDto } from '@chatpro/common';
import { t as translate } from '@chatpro/common/i18n';
import type { Translate } from './i18n.ts';
import { api } from './api.ts';

/** Buttons to sign in with each configured provider. */
export function SignIn(props: { audience: 'internal' | 'external'; returnTo: string; link?: string; t?: Translate }) {
  const t = props.t ?? ((key, params) => translate('it', key, params));
  const [providers, setProviders] = useState<ProviderDto[] | null>(null);
  useEffect(() => {
    api<{ providers: ProviderDto[] }>(`/auth/providers?audience=${props.audience}`).then(
      (r) => setProviders(r.providers),
      () => setProviders([]),
    );
  }, [props.audience]);
  if (!providers) return <p class="muted">…</p>;
  if (providers.length === 0) return <p class="muted">Nessun metodo di accesso configurato.</p>;
  return (
    <div class="stack">
      {providers.map((p) => {
        const q = new URLSearchParams({ audience: props.audience, returnTo: props.returnTo });
        if (props.link) q.set('link', props.link);
        return (
          <div key={p.id}>
            <a class="button provider" data-provider={p.id} href={`/auth/${p.id}/login?${q}`}>
              {t('signIn.with', { provider: p.label })}
            </a>
          </div>
        );
      })}
    </div>
  );
}
