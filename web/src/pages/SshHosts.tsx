import { useState, type FormEvent } from 'react';
import { listSshHosts, probeSshHost, registerSshHost, unregisterSshHost, type SshHost, type SshHostProbed } from '../api.ts';
import { ApiProblem, fieldError } from '../components/ApiProblem.tsx';
import { ErrorBox } from '../components/ErrorBox.tsx';
import { Field } from '../components/Field.tsx';
import { useLoad, useTitle } from '../hooks.ts';

/** Servers users bring (the ssh provider): register one by key path, probe it, unregister it. */
export function SshHosts() {
  useTitle('SSH hosts');
  const [version, setVersion] = useState(0);
  const hosts = useLoad(() => listSshHosts(), `ssh-hosts-${version}`);
  const [probed, setProbed] = useState<Record<string, SshHostProbed | 'probing'>>({});
  const [error, setError] = useState<{ title: string; error: unknown } | null>(null);
  const reload = () => setVersion((v) => v + 1);

  const probe = async (h: SshHost) => {
    setError(null);
    setProbed((m) => ({ ...m, [h.id]: 'probing' }));
    try {
      const r = await probeSshHost(h.id);
      setProbed((m) => ({ ...m, [h.id]: r }));
    } catch (err) {
      setProbed(({ [h.id]: _, ...m }) => m);
      setError({ title: `Probe of ${h.name} failed`, error: err });
    }
  };
  const remove = async (h: SshHost) => {
    if (!window.confirm(`Unregister ${h.name}? Nothing on the host is touched.`)) return;
    setError(null);
    try {
      await unregisterSshHost(h.id);
      reload();
    } catch (err) {
      setError({ title: `Could not unregister ${h.name}`, error: err });
    }
  };

  return (
    <section className="page" aria-labelledby="ssh-title">
      <div className="page-head">
        <div>
          <h1 id="ssh-title">SSH hosts</h1>
          <p className="muted">Your own servers, reached over SSH with a key file from the control plane's key directory (HANGAR_SSH_KEY_DIR).</p>
        </div>
      </div>
      <AddHost onAdded={reload} />
      {error && <ApiProblem error={error.error} title={error.title} />}
      {hosts.state === 'loading' && <p className="muted loading" role="status">Loading SSH hosts…</p>}
      {hosts.state === 'error' && <ErrorBox error={hosts.error} title="Could not load SSH hosts" onRetry={reload} />}
      {hosts.state === 'ok' && hosts.value.length === 0 && (
        <p className="muted" data-testid="ssh-hosts-empty">
          No SSH hosts registered. Add one above.
        </p>
      )}
      {hosts.state === 'ok' && hosts.value.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="ssh-hosts-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Address</th>
                <th scope="col">State</th>
                <th scope="col">Host key · system</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {hosts.value.map((h) => {
                const p = probed[h.id];
                return (
                  <tr key={h.id} data-testid="ssh-host-row" data-name={h.name}>
                    <td>{h.name}</td>
                    <td className="mono" style={{ overflowWrap: 'anywhere' }}>
                      {h.user}@{h.address}:{h.port}
                    </td>
                    <td>{h.state}</td>
                    <td data-testid="ssh-host-probe">
                      {p === 'probing' ? 'probing…' : p?.probe ? `${p.probe.fingerprint} · ${p.probe.prettyName} (${p.probe.arch})` : h.facts ? `${h.hostKeyTrust} · ${h.facts.prettyName} (${h.facts.arch})` : 'not probed'}
                    </td>
                    <td>
                      <button type="button" className="btn btn-small" disabled={p === 'probing'} onClick={() => void probe(h)} data-testid="ssh-host-probe-btn">
                        Probe
                      </button>{' '}
                      <button type="button" className="btn btn-small btn-danger" onClick={() => void remove(h)} data-testid="ssh-host-delete">
                        Remove
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Register a host (POST /v1/ssh-hosts) by name, address, port, user and key path. */
function AddHost({ onAdded }: { onAdded: () => void }) {
  const [f, setF] = useState({ name: '', address: '', port: '22', user: 'root', keyPath: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await registerSshHost({ name: f.name.trim(), address: f.address.trim(), port: Number(f.port) || 22, user: f.user.trim() || 'root', keyPath: f.keyPath.trim() });
      setF({ name: '', address: '', port: '22', user: 'root', keyPath: '' });
      onAdded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={submit} data-testid="ssh-host-form" aria-labelledby="ssh-add-title">
      <h2 id="ssh-add-title">Add a host</h2>
      <div className="grid-3">
        <Field name="name" label="Name" error={fieldError(error, 'name')}>
          {(p) => <input {...p} required value={f.name} onChange={set('name')} placeholder="build-box" />}
        </Field>
        <Field name="address" label="Address" error={fieldError(error, 'address')} hint="IPv4, IPv6 or a DNS name">
          {(p) => <input {...p} required value={f.address} onChange={set('address')} placeholder="203.0.113.7" />}
        </Field>
        <Field name="port" label="Port" error={fieldError(error, 'port')}>
          {(p) => <input {...p} type="number" min={1} max={65535} value={f.port} onChange={set('port')} />}
        </Field>
        <Field name="user" label="User" error={fieldError(error, 'user')}>
          {(p) => <input {...p} value={f.user} onChange={set('user')} />}
        </Field>
        <Field name="keyPath" label="Key path" error={fieldError(error, 'keyPath')} hint="A private key file inside HANGAR_SSH_KEY_DIR">
          {(p) => <input {...p} required value={f.keyPath} onChange={set('keyPath')} placeholder="build-box" />}
        </Field>
      </div>
      {error !== null && <ApiProblem error={error} title="Could not add the host" />}
      <button type="submit" className="btn btn-primary" disabled={busy} data-testid="ssh-host-add">
        {busy ? 'Adding…' : 'Add host'}
      </button>
    </form>
  );
}
