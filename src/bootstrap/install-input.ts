/**
 * What the install script is rendered from, checked ({@link validateInstallInput}), and the
 * decisions read from it: whether the server has an instance identity and whether public SSH
 * closes once the tailnet is up.
 *
 * @example
 * validateInstallInput(input, true);
 * if (hasIdentity(input)) files.push(agentEnvFile(input));
 */
import { isSha256Hex, PUBLIC_URL_FIELD, publicUrlProblem, SHA256_MESSAGE } from './public-url.ts';
import type { InstallScriptInput } from './types.ts';
import { Checker, RE_ID, RE_SERVER_NAME, checkCommon, isSafeUrl } from './validate.ts';

/**
 * True when the public SSH port is to be closed once the tailnet is up.
 *
 * @example
 * closesPublicSsh({ keepSsh: true }) // → false
 */
export function closesPublicSsh(input: Pick<InstallScriptInput, 'keepSsh' | 'tailscale'>): boolean {
  return !input.keepSsh && input.tailscale !== false;
}

/**
 * Check an install script's input; `script` also checks what rendering the script needs (the
 * download URL and the bundle pin). Throws a ValidationError naming every bad field.
 *
 * @example
 * validateInstallInput({ ...input, provider: 'aws' }) // throws ValidationError (field `provider`)
 */
export function validateInstallInput(input: InstallScriptInput, script = false): void {
  const c = new Checker();
  checkCommon(c, input);
  const b = input?.bootstrap ?? ({} as InstallScriptInput['bootstrap']);
  c.check(isSafeUrl(b.apiUrl), 'bootstrap.apiUrl', 'must be an http(s) URL without quotes, spaces or backslashes');
  c.check(b.instanceId === undefined || RE_ID.test(b.instanceId), 'bootstrap.instanceId', 'must be letters, digits and dashes (a UUID)');
  c.check(b.serverName === undefined || RE_SERVER_NAME.test(b.serverName), 'bootstrap.serverName', 'must be a DNS label');
  c.check((b.instanceId === undefined) === (b.serverName === undefined), 'bootstrap', 'instanceId and serverName go together');
  if (script) checkDownload(c, b.apiUrl, input?.agentBundleSha256);
  c.throwIfAny('install script input');
}

/**
 * The checks on where a server downloads the agent from: `publicUrl` (HANGAR_PUBLIC_URL) https
 * unless loopback or tailnet, and `agentBundleSha256` pinned.
 *
 * @example
 * checkDownload(c, 'http://hangar.example.com', sha) // c now holds a publicUrl error
 */
export function checkDownload(c: Checker, apiUrl: unknown, agentBundleSha256: unknown): void {
  const urlProblem = isSafeUrl(apiUrl) ? publicUrlProblem(apiUrl) : null;
  if (urlProblem) c.check(false, PUBLIC_URL_FIELD, urlProblem);
  c.check(isSha256Hex(agentBundleSha256), 'agentBundleSha256', SHA256_MESSAGE);
}

/** Whether the install is for an instance (a snapshot build has no identity). */
export function hasIdentity(input: InstallScriptInput): input is InstallScriptInput & { bootstrap: { instanceId: string; serverName: string } } {
  return !!input.bootstrap.instanceId && !!input.bootstrap.serverName;
}
