import { useState, type FormEvent } from 'react';
import { ApiError, checkApiKey } from '../api.ts';
import { useTitle } from '../hooks.ts';

/** Sign in with an API key; it is checked against the API before it is kept (sessionStorage). */
export function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: (key: string) => void }) {
  useTitle('Sign in');
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const k = key.trim();
    if (!k) {
      setError('Enter an API key.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await checkApiKey(k);
      onSignedIn(k);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError(`This API key was rejected (401 Unauthorized): ${err.problem?.detail ?? 'unknown or revoked key'}.`);
      else setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };

  return (
    <main className="signin" id="main">
      <form className="card signin-card" onSubmit={submit} noValidate aria-labelledby="signin-title" data-testid="signin-form">
        <div className="brand brand-large">
          <svg viewBox="0 0 32 32" width="34" height="34" aria-hidden="true">
            <rect width="32" height="32" rx="7" fill="currentColor" />
            <path d="M6 22 16 9l10 13z" fill="#fff" />
          </svg>
          <span>Hangar</span>
        </div>
        <h1 id="signin-title">Sign in</h1>
        <p className="muted">Use an API key of this Hangar installation. The admin key is printed once, when Hangar first starts.</p>
        {notice && !error && (
          <p className="callout callout-info" role="status" data-testid="signin-notice">
            {notice}
          </p>
        )}
        {/* Lets password managers file the key under this Hangar (and keeps Chrome's form audit quiet). */}
        <input type="text" name="username" autoComplete="username" value="hangar" readOnly hidden aria-hidden="true" />
        <div className={`field${error ? ' field-invalid' : ''}`}>
          <label htmlFor="api-key">API key</label>
          <input
            id="api-key"
            name="apiKey"
            type="password"
            autoComplete="current-password"
            spellCheck={false}
            placeholder="hgr_…"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? 'api-key-error' : 'api-key-hint'}
            data-testid="api-key-input"
            autoFocus
          />
          {error ? (
            <p className="field-error" id="api-key-error" role="alert" data-testid="signin-error">
              {error}
            </p>
          ) : (
            <p className="hint" id="api-key-hint">
              Kept in this tab's session storage only; closing the tab signs you out.
            </p>
          )}
        </div>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy} data-testid="signin-submit">
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
