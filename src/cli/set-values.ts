/**
 * `hangar create --set key=value` and `--set-string key=value`: workload settings from the
 * command line, typed the way a user means them, so `--set exec=true` sends a boolean and
 * `--set port=8080` a number. `--set-string` keeps the value as text (`--set-string pin=0042`).
 *
 * | value                          | sent as          |
 * | ------------------------------ | ---------------- |
 * | `true`, `false`                | boolean          |
 * | an integer (`8080`, `-1`, `0`) | number           |
 * | starting with `[` or `{`       | the JSON it is   |
 * | anything else (`0042`, `1.5`)  | string           |
 */
import { UsageError } from './errors.ts';

/** An integer as written (no leading zeros, no sign but `-`) that a double holds exactly. */
const INTEGER = /^-?(0|[1-9][0-9]{0,14})$/;

/**
 * The value of one `--set` as the API should get it.
 *
 * @example
 * setValue('true')          // → true
 * setValue('8080')          // → 8080
 * setValue('["a","b"]')     // → ['a', 'b']
 * setValue('0042')          // → '0042'
 */
export function setValue(raw: string): unknown {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (INTEGER.test(raw)) return Number(raw);
  if (/^\s*[[{]/.test(raw)) return JSON.parse(raw) as unknown;
  return raw;
}

/**
 * Split `key=value` (the first `=`), or a usage error naming the flag.
 *
 * @example
 * keyValue('command=/bin/sh -c a=b', '--set') // → ['command', '/bin/sh -c a=b']
 */
export function keyValue(kv: string, flag: string): [string, string] {
  const i = kv.indexOf('=');
  if (i < 1) throw new UsageError(`${flag} ${kv}: expected key=value`);
  return [kv.slice(0, i), kv.slice(i + 1)];
}

/**
 * Every `--set` (typed) then every `--set-string` (as text) into `config`; a value that looks like
 * JSON but is not is a usage error saying how to send it as text.
 *
 * @example
 * applySettings({}, ['exec=true'], ['pin=0042']) // → { exec: true, pin: '0042' }
 */
export function applySettings(config: Record<string, unknown>, set: string[], setString: string[] = []): Record<string, unknown> {
  for (const kv of set) {
    const [key, raw] = keyValue(kv, '--set');
    try {
      config[key] = setValue(raw);
    } catch (err) {
      throw new UsageError(`--set ${kv}: not valid JSON (${(err as Error).message}); pass it with --set-string to send it as text`);
    }
  }
  for (const kv of setString) {
    const [key, raw] = keyValue(kv, '--set-string');
    config[key] = raw;
  }
  return config;
}
