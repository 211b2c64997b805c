// The console's entry: sign-in, then the views (topics, live tail, produce, consumer groups,
// cluster) under one navigation, each addressed by the URL's fragment.
import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { TributaryClient } from '@tributary/client';
import { consoleClient } from './client';
import { ClusterView } from './cluster';
import { GroupDetail } from './group-detail';
import { GroupsView } from './groups';
import { ProduceView } from './produce';
import { href, type Route, useRoute } from './route';
import { forgetKey, storedKey, storeKey } from './session';
import { SignIn } from './sign-in';
import { TailView } from './tail';
import { TopicDetail } from './topic-detail';
import { TopicsView } from './topics';

const SECTIONS = [
  { view: 'topics', label: 'Topics', matches: ['topics', 'topic'] },
  { view: 'tail', label: 'Live tail', matches: ['tail'] },
  { view: 'produce', label: 'Produce', matches: ['produce'] },
  { view: 'groups', label: 'Consumer groups', matches: ['groups', 'group'] },
  { view: 'cluster', label: 'Cluster', matches: ['cluster'] },
] as const;

function App() {
  const [key, setKey] = useState(storedKey);
  if (key === null) {
    return (
      <SignIn
        onSignIn={(given) => {
          storeKey(given);
          setKey(given);
        }}
      />
    );
  }
  return (
    <Console
      apiKey={key}
      onSignOut={() => {
        forgetKey();
        setKey(null);
      }}
    />
  );
}

function Console({ apiKey, onSignOut }: { apiKey: string; onSignOut: () => void }) {
  const client = useMemo(() => consoleClient(apiKey), [apiKey]);
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const section = SECTIONS.find((s) => (s.matches as readonly string[]).includes(route.view));
  useEffect(() => {
    document.title = `${section?.label ?? 'Console'} · Tributary`;
    // A new view: reading starts at it, as after a page load.
    main.current?.focus();
  }, [href(route)]);
  return (
    <>
      <a class="skip" href="#main" onClick={skipToMain(main)}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Tributary console</span>
        <nav aria-label="Sections">
          <ul>
            {SECTIONS.map((s) => (
              <li key={s.view}>
                <a href={`#/${s.view}`} aria-current={s === section ? 'page' : undefined}>
                  {s.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" class="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <View client={client} route={route} />
      </main>
    </>
  );
}

function View({ client, route }: { client: TributaryClient; route: Route }) {
  switch (route.view) {
    case 'topics':
      return <TopicsView client={client} />;
    case 'topic':
      return <TopicDetail key={route.topic} client={client} topic={route.topic} />;
    case 'tail':
      return <TailView key={route.topic} client={client} initialTopic={route.topic} />;
    case 'produce':
      return <ProduceView key={route.topic} client={client} initialTopic={route.topic} />;
    case 'groups':
      return <GroupsView client={client} />;
    case 'group':
      return <GroupDetail key={route.group} client={client} group={route.group} />;
    case 'cluster':
      return <ClusterView client={client} />;
  }
}

/** The skip link moves focus itself: its fragment is not a route. */
function skipToMain(main: { current: HTMLElement | null }) {
  return (event: Event) => {
    event.preventDefault();
    main.current?.focus();
  };
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
