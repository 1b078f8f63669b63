import { render } from 'preact';
import './style.css';

function Landing() {
  return (
    <main class="shell">
      <section class="card stack">
        <h1>ChatPro</h1>
        <p>La chat contestuale di Tweppy, aperta all’esterno: ogni conversazione resta legata alla sua email, nota o evento.</p>
        <p>
          <a class="button primary" href="/app">
            Apri l’area di lavoro
          </a>
        </p>
      </section>
    </main>
  );
}

render(<Landing />, document.getElementById('root')!);
