// A few routes need no router library: the path under /ui/ is the page, history.pushState
// moves between pages without a reload, and the back button works (popstate).
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/ui';

export type Route =
  | { page: 'overview' }
  | { page: 'jobs'; query: URLSearchParams }
  | { page: 'job'; id: string }
  | { page: 'landings'; query: URLSearchParams }
  | { page: 'pipelines' }
  | { page: 'pipeline'; name: string }
  | { page: 'not-found' };

export function routeOf(pathname: string, search: string): Route {
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0) return { page: 'overview' };
  if (parts[0] === 'jobs' && parts.length === 1) return { page: 'jobs', query: new URLSearchParams(search) };
  if (parts[0] === 'jobs' && parts.length === 2) return { page: 'job', id: decodeURIComponent(parts[1]!) };
  if (parts[0] === 'landings' && parts.length === 1) return { page: 'landings', query: new URLSearchParams(search) };
  if (parts[0] === 'pipelines' && parts.length === 1) return { page: 'pipelines' };
  if (parts[0] === 'pipelines' && parts.length === 2) return { page: 'pipeline', name: decodeURIComponent(parts[1]!) };
  return { page: 'not-found' };
}

const listeners = new Set<() => void>();

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const listener of listeners) listener();
  if (!replace) window.scrollTo(0, 0);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(location.pathname, location.search));
  useEffect(() => {
    const update = () => setRoute(routeOf(location.pathname, location.search));
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** A link that moves within the app without a reload (a modified click still opens a new tab). */
export function onLinkClick(event: MouseEvent): void {
  const anchor = (event.currentTarget as HTMLAnchorElement | null) ?? null;
  if (!anchor || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(anchor.getAttribute('href') ?? BASE + '/');
}
