import { href } from '../router.ts';

/** The command that registers a host (the dashboard cannot add hosts yet). */
export const HOSTS_ADD = 'hangar hosts add NAME ADDRESS --key ~/.ssh/id_ed25519';

/** Shown instead of a submittable form while the ssh provider has no host to install on. */
export function NoSshHosts() {
  return (
    <div className="callout callout-warning" role="status" data-testid="no-ssh-hosts">
      <strong>No SSH hosts yet</strong>
      <p>
        The SSH provider installs on a server you bring, and none is registered. Add one with <code className="cmd">{HOSTS_ADD}</code>, then come back (it is
        listed under <a href={href.providers()}>Providers → SSH</a>). Adding hosts from the dashboard is not available yet.
      </p>
    </div>
  );
}
