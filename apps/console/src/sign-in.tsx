// Sign-in: the tenant API key, checked against the node (a list of topics) before it is kept.
import { useState } from 'preact/hooks';
import { consoleClient } from './client';
import { ErrorNote } from './ui';

export function SignIn({ onSignIn }: { onSignIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = (event: Event) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (trimmed === '') {
      setError(new Error('Enter an API key.'));
      return;
    }
    setBusy(true);
    consoleClient(trimmed)
      .listTopics()
      .then(
        () => onSignIn(trimmed),
        (failure: unknown) => {
          setError(failure);
          setBusy(false);
        },
      );
  };

  return (
    <main id="main" class="sign-in">
      <h1>Tributary console</h1>
      <form method="post" onSubmit={submit} aria-describedby="key-help">
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={key}
          onInput={(event) => setKey(event.currentTarget.value)}
          required
        />
        <p id="key-help" class="muted">
          A tenant API key. On a node started with <code>npm start</code>, the key of the tenant{' '}
          <code>default</code> is in <code>$DATA_DIR/default-key</code> (
          <code>data/default-key</code> by default). It stays in this tab only and is sent in the
          Authorization header, never in a URL.
        </p>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <ErrorNote error={error} />
      </form>
    </main>
  );
}
