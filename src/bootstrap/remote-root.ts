/**
 * Where Hangar may install on a host. Teardown runs `rm -rf` on this directory as root, so it is
 * Hangar's own and nothing else: `/opt/hangar` or `/opt/hangar-<name>`, written out plainly (no
 * `.` or `..` segments, no doubled or trailing `/`, no characters a shell reads specially).
 * Checked at registration (a 400 naming `remoteRoot`), when the provider is built, and again
 * before every bootstrap and teardown.
 *
 * @example
 * remoteRootProblem('/opt/hangar-web') // → null
 * remoteRootProblem('/usr/bin') // → 'must be /opt/hangar or /opt/hangar-<name> …'
 */
import { ProviderError, ValidationError } from '../domain/errors.ts';

/** Hangar's default remote root (the same tree cloud-init uses). */
export const DEFAULT_REMOTE_ROOT = '/opt/hangar';

/** `/opt/hangar`, or `/opt/hangar-` and a name of letters, digits, `.`, `_`, `-` (starting with a letter or digit). */
const RE_ALLOWED_ROOT = /^\/opt\/hangar(?:-[A-Za-z0-9][A-Za-z0-9._-]{0,62})?$/;

const RULE = 'must be /opt/hangar or /opt/hangar-<name> (letters, digits, ".", "_", "-"), written plainly: teardown removes this directory';

/**
 * Why a remote root is unacceptable, or null when it is `/opt/hangar` or `/opt/hangar-<name>`.
 *
 * @example
 * remoteRootProblem('/opt/hangar/../../etc') // → 'must be /opt/hangar or /opt/hangar-<name> …'
 */
export function remoteRootProblem(root: unknown): string | null {
  // One segment below /opt and no "/" in the name: no "..", "//", "." or trailing "/" can match.
  return typeof root === 'string' && RE_ALLOWED_ROOT.test(root) ? null : RULE;
}

/**
 * Throw a ValidationError naming `field` when `root` is not an allowed remote root.
 *
 * @example
 * assertRemoteRoot('/opt/hangar') // ok
 * assertRemoteRoot('/root/.ssh') // throws ValidationError (field remoteRoot)
 */
export function assertRemoteRoot(root: unknown, field = 'remoteRoot'): asserts root is string {
  const problem = remoteRootProblem(root);
  if (problem) throw new ValidationError(`${field} ${problem}`, [{ field, message: problem }]);
}

/**
 * The check before a bootstrap or teardown runs anything on a host: a stored root that is not
 * allowed (a record from before the check, or edited in the database) fails without connecting.
 *
 * @example
 * checkedRoot(host.remoteRoot ?? DEFAULT_REMOTE_ROOT, host.name) // → '/opt/hangar'
 */
export function checkedRoot(root: string, hostName: string): string {
  const problem = remoteRootProblem(root);
  if (!problem) return root;
  const shown = JSON.stringify(String(root).slice(0, 100));
  throw new ProviderError('ssh', 'invalid_remote_root', `SSH host ${hostName} has remoteRoot ${shown}, which ${problem}; nothing was run on the host. Unregister it (DELETE /v1/ssh-hosts/${hostName}?force=true), clean up by hand, and register it again`, 422, false);
}
