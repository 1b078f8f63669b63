import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** The workspace's few screens live under /app; the History API keeps the URL shareable. */
export type Route =
  | { name: 'home' }
  | { name: 'context'; id: string; settings: boolean }
  | { name: 'new' }
  | { name: 'templates'; id?: string }
  | { name: 'profile' };

export function parseRoute(path: string, search = ''): Route {
  const parts = path.replace(/^\/app\/?/, '').split('/').filter(Boolean);
  if (parts[0] === 'c' && parts[1]) return { name: 'context', id: parts[1], settings: new URLSearchParams(search).has('chatpro') };
  if (parts[0] === 'new') return { name: 'new' };
  if (parts[0] === 'templates') return parts[1] ? { name: 'templates', id: parts[1] } : { name: 'templates' };
  if (parts[0] === 'profile') return { name: 'profile' };
  return { name: 'home' };
}

export function navigate(to: string): void {
  history.pushState(null, '', to);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname, location.search));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.pathname, location.search));
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return route;
}

export function Link(props: { href: string; class?: string; children: ComponentChildren; testid?: string }) {
  return (
    <a
      href={props.href}
      class={props.class}
      data-testid={props.testid}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.button !== 0) return;
        e.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}
