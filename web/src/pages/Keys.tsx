import { useState, type FormEvent } from 'react';
import { ApiError, createKey, listKeys, listProjects, revokeKey } from '../api.ts';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { useLoad, useTitle } from '../hooks.ts';
import { session } from '../session.ts';
import type { ApiKeyCreated, ApiKeyInfo } from '../types.ts';

const ROLES: ApiKeyInfo['role'][] = ['viewer', 'operator', 'releaser', 'owner', 'admin'];

/**
 * API keys of the current project: mint one (shown once), list them (never the key), revoke.
 * Needs the owner role (or an installation admin key).
 */
export function Keys() {
  useTitle('API keys');
  const [version, setVersion] = useState(0);
  const keys = useLoad(() => listKeys(), `keys-${version}`);
  const [name, setName] = useState('');
  const [role, setRole] = useState<ApiKeyInfo['role']>('viewer');
  const [days, setDays] = useState('90');
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const n = Number(days);
      setCreated(await createKey({ name, role, ...(n > 0 ? { expiresInSeconds: Math.round(n * 86_400) } : {}) }));
      setName('');
      setVersion((v) => v + 1);
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (k: ApiKeyInfo) => {
    if (!window.confirm(`Revoke key "${k.name}"? It stops working at once.`)) return;
    try {
      await revokeKey(k.id);
      setVersion((v) => v + 1);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section className="page" aria-labelledby="keys-title">
      <div className="page-head">
        <div>
          <h1 id="keys-title">API keys</h1>
          <p className="muted">Keys of project <strong data-testid="keys-project">{session.project() ?? 'default'}</strong>. A key is shown once, when it is created; Hangar keeps only its hash.</p>
        </div>
      </div>
      <form className="card" onSubmit={submit} data-testid="key-form">
        <label>
          Name <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} data-testid="key-name" />
        </label>{' '}
        <label>
          Role{' '}
          <select value={role} onChange={(e) => setRole(e.target.value as ApiKeyInfo['role'])} data-testid="key-role">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          Expires in days (0: never) <input type="number" min={0} max={3650} value={days} onChange={(e) => setDays(e.target.value)} data-testid="key-days" />
        </label>{' '}
        <button type="submit" className="btn btn-primary" data-testid="key-create">
          Create key
        </button>
      </form>
      {error !== null && <ErrorBox error={error} title="The key was not changed" />}
      {created && (
        <div className="card" role="status" data-testid="key-created">
          <p>
            Key <strong>{created.name}</strong> ({created.role}). Copy it now: it is not shown again.
          </p>
          <pre data-testid="key-secret">{created.key}</pre>
          <button type="button" className="btn btn-small" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      {keys.state === 'loading' && <p className="muted loading" role="status">Loading keys…</p>}
      {keys.state === 'error' && <ErrorBox error={keys.error} title={keys.error instanceof ApiError && keys.error.status === 403 ? 'Only a project owner may see its keys' : 'Could not load keys'} />}
      {keys.state === 'ok' && (
        <table className="table" data-testid="keys-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Project</th>
              <th>Created</th>
              <th>Last used</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys.value.map((k) => (
              <tr key={k.id} data-testid="key-row" data-name={k.name}>
                <td>{k.name}</td>
                <td>{k.role}</td>
                <td>{k.project ?? '(installation)'}</td>
                <td>{k.createdAt.slice(0, 16).replace('T', ' ')}</td>
                <td>{k.lastUsedAt ? k.lastUsedAt.slice(0, 16).replace('T', ' ') : 'never'}</td>
                <td>{k.expiresAt ? k.expiresAt.slice(0, 10) : 'never'}</td>
                <td>
                  <button type="button" className="btn btn-small btn-danger" onClick={() => void revoke(k)} data-testid="key-revoke">
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The top bar's project switcher: the projects this key may act in; a change reloads the page in that project. */
export function ProjectSwitcher() {
  const projects = useLoad(() => listProjects(), 'projects');
  if (projects.state !== 'ok' || projects.value.length < 2) return null;
  const current = session.project() ?? (projects.value.some((p) => p.name === 'default') ? 'default' : projects.value[0].name);
  return (
    <label className="project-switcher">
      <span className="sr-only">Project</span>
      <select
        value={current}
        data-testid="project-switcher"
        onChange={(e) => {
          session.setProject(e.target.value);
          window.location.reload();
        }}
      >
        {projects.value.map((p) => (
          <option key={p.name} value={p.name}>
            {p.name}
          </option>
        ))}
      </select>
    </label>
  );
}
