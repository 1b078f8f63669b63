import { render } from 'preact';
import { t } from '@chatpro/common/i18n';
import { SignIn } from './SignIn.tsx';
import './style.css';

function Guest() {
  const token = location.pathname.split('/').pop() ?? '';
  return (
    <main class="shell">
      <section class="card stack">
        <h1>{t('it', 'signIn.title')}</h1>
        <SignIn audience="external" returnTo={location.pathname} link={token} />
      </section>
    </main>
  );
}

render(<Guest />, document.getElementById('root')!);
