// Sign-in: the API key is sent once, to POST /ui/session, and forgotten; the browser keeps
// only the HttpOnly session cookie (nothing goes to localStorage).
import { useState } from 'preact/hooks';
import { signIn, type Me } from '../api.ts';
import { ErrorNote } from '../components.tsx';

export function SignInPage(props: { notice?: string | undefined; onSignedIn: (me: Me) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const me = await signIn(key);
      setKey('');
      props.onSignedIn(me);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="page sign-in">
      <h1>Sign in to Sluice</h1>
      {props.notice && <p role="status">{props.notice}</p>}
      <form onSubmit={submit} aria-describedby="key-help">
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={key}
          onInput={(event) => setKey((event.currentTarget as HTMLInputElement).value)}
        />
        <p id="key-help" class="help">
          The key is exchanged for a session that lasts until you sign out or it expires; the page never keeps the key.
        </p>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <ErrorNote message={error} />
    </main>
  );
}
