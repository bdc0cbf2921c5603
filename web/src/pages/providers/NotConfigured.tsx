import { PROVIDER_LABELS } from '../../format.ts';

const HOW_TO: Record<string, string> = {
  hetzner: 'set HETZNER_API_TOKEN (or HCLOUD_TOKEN) and restart Hangar, or store a token with PUT /v1/providers/hetzner/credentials (no restart).',
  'digital-ocean': 'set DIGITALOCEAN_TOKEN and restart Hangar, or store a token with PUT /v1/providers/digital-ocean/credentials (no restart).',
  ssh: 'servers you already run, reached over SSH; not set up in this installation.',
  local: 'agents as processes on this machine; turned off in this installation.',
};

/** The providers this installation has not set up, and how to set each up. */
export function NotConfigured({ configured }: { configured: string[] }) {
  const missing = ['local', 'hetzner', 'digital-ocean', 'ssh'].filter((p) => !configured.includes(p));
  return (
    <section className="card" aria-labelledby="not-configured-title" data-testid="not-configured">
      <h2 id="not-configured-title">Not configured</h2>
      <ul>
        {missing.map((p) => (
          <li key={p}>
            <strong>{PROVIDER_LABELS[p] ?? p}</strong>: {HOW_TO[p]}
          </li>
        ))}
      </ul>
    </section>
  );
}
