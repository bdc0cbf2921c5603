import { ValidationError } from '../domain/errors.ts';

/** Environment variable names Hangar writes: POSIX-portable upper case. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Quote one value for a dotenv / systemd `EnvironmentFile=` line so that bash, systemd and
 * docker compose all read it back literally: single quotes when possible (no expansion in any of
 * the three), double quotes when the value holds a single quote but nothing that double quotes
 * would expand. Anything else (a newline, or `'` together with `"`, `\`, `$` or a backquote) has no
 * spelling all three agree on, so it is refused; so is a trailing backslash, which compose's
 * dotenv parser takes for an escaped closing quote.
 *
 * @example
 * envValue("a$b") // → "'a$b'"
 * envValue("it's") // → '"it\'s"'
 */
export function envValue(value: string): string | null {
  if (/[\r\n\0]/.test(value) || value.endsWith('\\')) return null;
  if (!value.includes("'")) return `'${value}'`;
  if (!/["\\$`]/.test(value)) return `"${value}"`;
  return null;
}

/**
 * Render an env file (`KEY='value'` lines, in the given order), the format shared by
 * `docker compose --env-file`, compose `env_file:` and systemd `EnvironmentFile=`.
 * `field` names the config field reported when a value cannot be written.
 *
 * @example
 * renderEnvFile([['STATIC_API_KEY', 'k1', 'workload.apiKey']]) // → "STATIC_API_KEY='k1'\n"
 */
export function renderEnvFile(entries: [name: string, value: string, field: string][], header?: string): string {
  const errors: { field: string; message: string }[] = [];
  const lines: string[] = header ? header.split('\n').map((l) => `# ${l}`.trimEnd()) : [];
  for (const [name, value, field] of entries) {
    if (!ENV_NAME.test(name)) {
      errors.push({ field, message: `${name} is not a valid environment variable name` });
      continue;
    }
    const quoted = envValue(value);
    if (quoted === null) {
      errors.push({ field, message: 'contains a newline, a trailing backslash, or a single quote together with ", \\, $ or `, which no env-file format reads back literally' });
      continue;
    }
    lines.push(`${name}=${quoted}`);
  }
  if (errors.length) throw new ValidationError(`cannot write env file: ${errors.map((e) => e.field).join(', ')}`, errors);
  return lines.length ? `${lines.join('\n')}\n` : '';
}
