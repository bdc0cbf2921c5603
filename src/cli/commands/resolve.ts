import type { Instance } from '../../api/contract/types.ts';
import type { HangarClient } from '../client.ts';
import { CliError } from '../errors.ts';
import { isUuid } from '../../domain/ids.ts';


/**
 * Turn what the user typed into a full instance id: a full UUID as is, else a unique id prefix
 * (as `hangar ls` shows them), else a unique exact name or server name.
 * The API has no prefix lookup, so this pages through the instance list.
 */
export async function resolveId(client: HangarClient, ref: string): Promise<string> {
  if (isUuid(ref)) return ref.toLowerCase();
  if (!ref.trim()) throw new CliError('an instance id is required');
  const all = await client.listAllInstances({ limit: 200 });
  const prefix = ref.toLowerCase();
  let matches: Instance[] = /^[0-9a-f-]+$/.test(prefix) ? all.filter((i) => i.id.startsWith(prefix)) : [];
  if (!matches.length) matches = all.filter((i) => i.name === ref || i.serverName === ref);
  if (matches.length === 1) return matches[0].id;
  if (!matches.length) throw new CliError(`no instance matches "${ref}" (see \`hangar ls\`)`);
  const list = matches.slice(0, 10).map((i) => `  ${i.id}  ${i.name}  ${i.status}`);
  throw new CliError(`"${ref}" matches ${matches.length} instances; use more of the id:\n${list.join('\n')}${matches.length > 10 ? '\n  …' : ''}`);
}
