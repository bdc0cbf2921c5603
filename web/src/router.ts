import { useEffect, useState } from 'react';

/**
 * Hash routes (`#/instances/<id>`): the server needs no rewrite rules, links work as plain
 * anchors, and the API key never appears in a URL.
 */
export type Route =
  | { name: 'instances' }
  | { name: 'create' }
  | { name: 'instance'; id: string }
  | { name: 'providers' }
  | { name: 'keys' }
  | { name: 'audit' }
  | { name: 'costs' }
  | { name: 'webhooks' }
  | { name: 'pools' }
  | { name: 'ssh-hosts' }
  | { name: 'not-found'; path: string };

/** The route for a location hash. @example parseRoute('#/create') // { name: 'create' } */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').split('?')[0] || '/';
  if (path === '/' || path === '/instances') return { name: 'instances' };
  if (path === '/create' || path === '/instances/new') return { name: 'create' };
  if (path === '/providers') return { name: 'providers' };
  if (path === '/keys') return { name: 'keys' };
  if (path === '/audit') return { name: 'audit' };
  if (path === '/costs') return { name: 'costs' };
  if (path === '/webhooks') return { name: 'webhooks' };
  if (path === '/pools') return { name: 'pools' };
  if (path === '/ssh-hosts') return { name: 'ssh-hosts' };
  const m = /^\/instances\/([0-9a-fA-F-]{36})$/.exec(path);
  if (m) return { name: 'instance', id: m[1].toLowerCase() };
  return { name: 'not-found', path };
}

/** Links to each route. @example href.instance(id) // '#/instances/<id>' */
export const href = {
  instances: () => '#/instances',
  create: () => '#/create',
  providers: () => '#/providers',
  keys: () => '#/keys',
  audit: () => '#/audit',
  costs: () => '#/costs',
  webhooks: () => '#/webhooks',
  pools: () => '#/pools',
  sshHosts: () => '#/ssh-hosts',
  instance: (id: string) => `#/instances/${id}`,
};

/** Go to a route (a hash link). @example navigate(href.instances()) */
export function navigate(to: string): void {
  if (window.location.hash !== to) window.location.hash = to;
}

/** The current route, following hash changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
