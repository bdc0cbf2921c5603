import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { ValidationError } from '../domain/errors.ts';
import { decodeSecret } from './settings-schema.ts';

/**
 * Reading a workload's settings: typed getters that collect every problem as a field error
 * named `config.<name>` (the request's `config` object holds both the plain settings and the
 * secret ones), then throw one ValidationError naming them all.
 */

type FieldError = { field: string; message: string };

/** Source of random bytes for generated secrets (tests pass a seeded one). */
export type RandomBytes = (n: number) => Buffer;

export const defaultRandomBytes: RandomBytes = (n) => cryptoRandomBytes(n);

/**
 * A generated secret: 32 URL-safe characters (192 bits).
 *
 * @example
 * generateSecret(() => Buffer.alloc(24)) // → 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
 */
export function generateSecret(random: RandomBytes = defaultRandomBytes): string {
  return random(24).toString('base64url');
}

/**
 * A camelCase setting name as an environment variable name.
 *
 * @example
 * envNameOf('openaiApiKey') // → 'OPENAI_API_KEY'
 */
export function envNameOf(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

/** Docker image reference: `[registry/]repo[:tag][@digest]`. */
export const RE_IMAGE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
/** A git branch name we accept (no spaces, no `..`, no leading dash). */
export const RE_BRANCH = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,100}$/;
/** A stack or project name: directory under /opt, unit prefix, compose project. */
export const RE_STACK_NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;
/** Names a stack may not take (they are Hangar's own or the system's). */
export const RESERVED_STACK_NAMES = new Set([
  'hangar', 'hangar-agent', 'docker', 'containerd', 'tailscale', 'tailscaled', 'openclaw', 'ssh', 'sshd', 'ufw', 'fail2ban', 'systemd',
  // units a Debian/Ubuntu server ships: a stack unit of the same name in /etc/systemd/system would replace them
  'dbus', 'chrony', 'chronyd', 'cron', 'rsyslog', 'networking', 'getty', 'polkit', 'snapd', 'multipathd', 'apparmor', 'auditd',
  'unattended-upgrades', 'apt-daily', 'apt-daily-upgrade', 'cloud-init', 'cloud-config', 'cloud-final', 'cloud-init-local',
  'user', 'init', 'emergency', 'rescue', 'default', 'sysinit', 'basic', 'multi-user', 'graphical', 'network', 'network-online',
  'time-sync', 'sockets', 'timers', 'paths', 'local-fs', 'remote-fs', 'shutdown', 'reboot', 'halt', 'poweroff',
]);

/**
 * Whether a stack name would collide with a unit the system ships (its units are `<name>.service`,
 * `<name>-update.timer`, …, written to /etc/systemd/system, which overrides the vendor's unit).
 * The agent checks again on the server, against the units actually installed there.
 *
 * @example
 * reservedStackName('tailscaled')       // → true
 * reservedStackName('systemd-journald') // → true
 * reservedStackName('ai-ops-runner')    // → false
 */
export function reservedStackName(name: string): boolean {
  return RESERVED_STACK_NAMES.has(name) || /^(systemd|dbus|getty|apt|cloud|snap|user|serial-getty|ssh)-/.test(name);
}

/** An https (or http) URL with nothing a shell, YAML, env file or systemd would read specially. */
function isPlainUrl(value: string, schemes: string[] = ['https:', 'http:']): boolean {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[A-Za-z0-9._~:/?#[\]@!&()*+,;=%-]+$/.test(value)) return false;
  try {
    const u = new URL(value);
    return schemes.includes(u.protocol) && !!u.hostname;
  } catch {
    return false;
  }
}

interface StringOpts {
  default?: string;
  required?: boolean;
  pattern?: RegExp;
  /** Message when the pattern does not match. */
  hint?: string;
  max?: number;
  min?: number;
}

/**
 * Typed access to one workload's settings, remembering which names were read so that unknown
 * ones (usually typos) are reported too.
 *
 * @example
 * const r = new SettingsReader('openclaw', { port: 'x' }, {});
 * r.int('port', { default: 18789, min: 1024, max: 65535 });
 * r.finish(); // throws ValidationError [{ field: 'config.port', message: 'must be an integer' }]
 */
export class SettingsReader {
  readonly errors: FieldError[] = [];
  private readonly read = new Set<string>();

  constructor(
    readonly kind: string,
    readonly config: Record<string, unknown>,
    readonly secrets: Record<string, string>,
  ) {}

  /** Field name as reported in errors. */
  field(name: string): string {
    return `config.${name}`;
  }

  error(name: string, message: string): void {
    this.errors.push({ field: this.field(name), message });
  }

  /**
   * The raw value (secrets first: a setting sealed because it held URL credentials is in both,
   * and the sealed value is the real one), marking the name as known.
   */
  raw(name: string): unknown {
    this.read.add(name);
    if (Object.hasOwn(this.secrets, name)) return decodeSecret(this.secrets[name]);
    return Object.hasOwn(this.config, name) ? this.config[name] : undefined;
  }

  has(name: string): boolean {
    const v = this.raw(name);
    return v !== undefined && v !== null && v !== '';
  }

  string(name: string, opts: StringOpts & { default: string }): string;
  string(name: string, opts?: StringOpts): string | undefined;
  string(name: string, opts: StringOpts = {}): string | undefined {
    const v = this.raw(name);
    if (v === undefined || v === null || v === '') {
      if (opts.required) this.error(name, 'is required');
      return opts.default;
    }
    if (typeof v !== 'string') {
      this.error(name, 'must be a string');
      return opts.default;
    }
    if (/[\0\r\n]/.test(v)) {
      this.error(name, 'must be one line of text');
      return opts.default;
    }
    if (opts.max !== undefined && v.length > opts.max) this.error(name, `must be at most ${opts.max} characters`);
    else if (opts.min !== undefined && v.length < opts.min) this.error(name, `must be at least ${opts.min} characters`);
    else if (opts.pattern && !opts.pattern.test(v)) this.error(name, opts.hint ?? `must match ${opts.pattern}`);
    else return v;
    return opts.default;
  }

  url(name: string, opts: { required?: boolean; schemes?: string[] } = {}): string | undefined {
    const v = this.string(name, { required: opts.required, max: 2048 });
    if (v === undefined) return undefined;
    const schemes = opts.schemes ?? ['https:', 'http:'];
    if (!isPlainUrl(v, schemes)) {
      this.error(name, `must be a ${schemes.map((s) => s.replace(':', '')).join(' or ')} URL without spaces, quotes or backslashes`);
      return undefined;
    }
    return v;
  }

  int(name: string, opts: { default: number; min: number; max: number }): number {
    const v = this.raw(name);
    if (v === undefined || v === null || v === '') return opts.default;
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      this.error(name, 'must be an integer');
      return opts.default;
    }
    if (n < opts.min || n > opts.max) {
      this.error(name, `must be between ${opts.min} and ${opts.max}`);
      return opts.default;
    }
    return n;
  }

  bool(name: string, def: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined || v === null || v === '') return def;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    this.error(name, 'must be true or false');
    return def;
  }

  oneOf<T extends string>(name: string, values: readonly T[], def: T): T {
    const v = this.raw(name);
    if (v === undefined || v === null || v === '') return def;
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    this.error(name, `must be one of ${values.join(', ')}`);
    return def;
  }

  /** A list of strings (e.g. a command's argv). */
  stringList(name: string, opts: { max?: number } = {}): string[] | undefined {
    const v = this.raw(name);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && !/[\0\r\n]/.test(x))) {
      this.error(name, 'must be a list of one-line strings');
      return undefined;
    }
    if (opts.max !== undefined && v.length > opts.max) {
      this.error(name, `must have at most ${opts.max} items`);
      return undefined;
    }
    return v as string[];
  }

  /** A flat object of environment variables (`NAME: value`), values as strings. */
  envMap(name: string): [string, string][] {
    const v = this.raw(name);
    if (v === undefined || v === null) return [];
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.error(name, 'must be an object of NAME: value pairs');
      return [];
    }
    const out: [string, string][] = [];
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      if (!/^[A-Z_][A-Z0-9_]{0,127}$/.test(k)) this.error(`${name}.${k}`, 'must be an upper-case environment variable name');
      else if (typeof val !== 'string' && typeof val !== 'number' && typeof val !== 'boolean') this.error(`${name}.${k}`, 'must be a string, number or boolean');
      else out.push([k, String(val)]);
    }
    return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Secret settings not read yet (the generic "any secret becomes an env var" workloads). */
  unreadSecrets(): string[] {
    return Object.keys(this.secrets)
      .filter((k) => !this.read.has(k))
      .sort();
  }

  /** Report unknown settings, then throw if anything was wrong. */
  finish(): void {
    // `exec` (allow `hangar exec` on this instance) is a setting of every workload.
    if ('exec' in this.config) {
      this.read.add('exec');
      if (typeof this.config.exec !== 'boolean') this.error('exec', 'must be true or false');
    }
    // `uiPort` (the loopback port of the workload's web UI, behind Hangar's proxy) likewise.
    if ('uiPort' in this.config) {
      this.read.add('uiPort');
      const p = this.config.uiPort;
      if (!Number.isInteger(p) || (p as number) < 1 || (p as number) > 65_535) this.error('uiPort', 'must be a port number 1-65535');
    }
    for (const k of [...Object.keys(this.config), ...Object.keys(this.secrets)].sort()) {
      if (!this.read.has(k)) this.error(k, `is not a setting of the ${this.kind} workload`);
    }
    if (this.errors.length) {
      throw new ValidationError(`invalid ${this.kind} config: ${this.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, this.errors);
    }
  }
}
