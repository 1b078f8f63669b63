/**
 * First page of the sign-in dialog: one button per provider, each going to the server's OpenID
 * Connect sign-in, which comes back to `signed-in.html` in this same dialog window.
 */
import { render } from 'preact';
import { SignIn } from '@chatpro/web/SignIn';
import { useLocale } from '@chatpro/web/i18n';
import '@chatpro/web/style.css';

const params = new URLSearchParams(location.search);
const audience = params.get('audience') === 'internal' ? 'internal' : 'external';
const link = params.get('link') ?? undefined;

function SignInDialog() {
  const { t } = useLocale();
  return (
    <main class="shell">
      <section class="card stack" data-testid="sign-in-dialog">
        <h1>{audience === 'internal' ? 'Accedi con l’account della tua organizzazione' : t('signIn.title')}</h1>
        <SignIn audience={audience} returnTo="/addins/outlook/signed-in.html" {...(link ? { link } : {})} t={t} />
        {audience === 'external' && <p class="muted small">{t('signIn.privacy')}</p>}
      </section>
    </main>
  );
}

render(<SignInDialog />, document.getElementById('root')!);
