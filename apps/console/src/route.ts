// The console's views are addressed by the URL's fragment (#/topics/orders), so a view can be
// bookmarked and the back button works; the fragment names views and topics, never the key.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { view: 'topics' }
  | { view: 'topic'; topic: string }
  | { view: 'tail'; topic?: string }
  | { view: 'produce'; topic?: string }
  | { view: 'groups' }
  | { view: 'group'; group: string }
  | { view: 'cluster' };

export function parseRoute(hash: string): Route {
  const [first, ...rest] = hash.replace(/^#\/?/, '').split('/');
  const name = rest.length > 0 ? decoded(rest.join('/')) : undefined;
  switch (first) {
    case 'topics':
      return name === undefined ? { view: 'topics' } : { view: 'topic', topic: name };
    case 'tail':
      return name === undefined ? { view: 'tail' } : { view: 'tail', topic: name };
    case 'produce':
      return name === undefined ? { view: 'produce' } : { view: 'produce', topic: name };
    case 'groups':
      return name === undefined ? { view: 'groups' } : { view: 'group', group: name };
    case 'cluster':
      return { view: 'cluster' };
    default:
      return { view: 'topics' };
  }
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a stray % typed into the address bar
  }
}

export function href(route: Route): string {
  switch (route.view) {
    case 'topic':
      return `#/topics/${encodeURIComponent(route.topic)}`;
    case 'group':
      return `#/groups/${encodeURIComponent(route.group)}`;
    case 'tail':
    case 'produce':
      return route.topic === undefined
        ? `#/${route.view}`
        : `#/${route.view}/${encodeURIComponent(route.topic)}`;
    default:
      return `#/${route.view}`;
  }
}

/** The route the fragment names now; follows the back button and links. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const follow = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  return route;
}
