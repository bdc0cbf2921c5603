import { describe, expect, it } from 'vitest';
import { ValidationError } from '../domain/errors.ts';
import { INSTANCE_ID, KINDS, SERVER_NAME, WORKLOAD_VARIANTS, fixedRandom } from './fixtures.testing.ts';
import { COMMON_SETTINGS, decodeSecret, encodeSecret, secretValues, splitSettings, urlUserinfo, withoutUserinfo } from './settings-schema.ts';
import type { WorkloadKind } from './types.ts';
import { WORKLOAD_SETTINGS, renderWorkload } from './workload.ts';

/** The field errors of rendering these settings (none: []). */
function errorsOf(kind: WorkloadKind, config: Record<string, unknown>, secrets: Record<string, string> = {}): { field: string; message: string }[] {
  try {
    renderWorkload({ id: INSTANCE_ID, serverName: SERVER_NAME, workload: kind, workloadConfig: config, tailscale: true }, secrets, { randomBytes: fixedRandom });
    return [];
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return err.errors ?? [];
  }
}

describe('stored secrets', () => {
  it('keep strings as they are and anything else as tagged JSON', () => {
    for (const v of ['plain', '', { A: 'b', N: 1 }, ['x', 'https://u:p@h'], 42, true]) expect(decodeSecret(encodeSecret(v))).toEqual(v);
    expect(encodeSecret('s')).toBe('s');
    expect(decodeSecret('{"looks":"like json"}')).toBe('{"looks":"like json"}');
  });

  it('find URL userinfo, decoded, and remove it from strings, lists and maps', () => {
    expect(urlUserinfo('https://bot%40acme:p%3Ass@h/r')).toEqual({ username: 'bot@acme', password: 'p:ss' });
    expect(urlUserinfo('https://tok@h/r')).toEqual({ username: 'tok', password: null });
    expect(urlUserinfo('https://h/r?a=b@c')).toBeNull();
    expect(withoutUserinfo({ a: ['git clone https://u:p@h/r', 1], b: 'http://x:y@h:80/' })).toEqual({ a: ['git clone https://h/r', 1], b: 'http://h:80/' });
  });

  it('list every form a secret could take in rendered text', () => {
    const values = secretValues({ url: 'https://bot:ghp_abc%2B1@h/r', env: encodeSecret({ A: 'env-value', N: 12345 }), short: 'abc' });
    expect(values).toEqual(expect.arrayContaining(['https://bot:ghp_abc%2B1@h/r', 'ghp_abc+1', 'ghp_abc%2B1', 'env-value', '12345']));
    expect(values).not.toContain('abc');
  });
});

describe('each workload schema', () => {
  it('exists for every workload, with the kind it is registered under', () => {
    for (const kind of KINDS) expect(WORKLOAD_SETTINGS[kind].kind).toBe(kind);
  });

  it('names only settings its renderer knows', () => {
    for (const kind of KINDS) {
      const schema = WORKLOAD_SETTINGS[kind];
      for (const name of [...Object.keys(schema.fields), ...Object.keys(COMMON_SETTINGS)]) {
        // A value of the wrong type: the renderer may refuse it, but never as an unknown setting.
        const unknown = errorsOf(kind, { [name]: { wrong: 'type' } }).filter((e) => e.field === `config.${name}` && /is not a setting/.test(e.message));
        expect(unknown, `${kind}.${name}`).toEqual([]);
      }
    }
  });

  it('declares every setting the sample instances use (an undeclared one would be sealed as unknown)', () => {
    for (const kind of KINDS) {
      const declared = new Set([...Object.keys(WORKLOAD_SETTINGS[kind].fields), ...Object.keys(COMMON_SETTINGS)]);
      for (const v of WORKLOAD_VARIANTS[kind]) for (const name of Object.keys(v.config)) expect(declared.has(name), `${kind}.${name}`).toBe(true);
    }
  });

  it('marks what its renderer treats as secret: secret fields are read from the sealed part', () => {
    for (const kind of KINDS) {
      for (const [name, field] of Object.entries(WORKLOAD_SETTINGS[kind].fields)) {
        if (!field.secret) continue;
        const { config, secrets } = splitSettings(WORKLOAD_SETTINGS[kind], { [name]: 'sealed-value' });
        expect(config, `${kind}.${name}`).toEqual({});
        expect(decodeSecret(secrets[name])).toBe('sealed-value');
      }
    }
  });

  it('treats unknown settings as declared: env values for openclaw, runner-stack and compose; refused by the others', () => {
    expect(Object.fromEntries(KINDS.map((k) => [k, WORKLOAD_SETTINGS[k].extra]))).toEqual({ process: 'rejected', openclaw: 'env', 'agent-manager': 'rejected', 'runner-stack': 'env', compose: 'env' });
    for (const kind of KINDS) {
      const { secrets } = splitSettings(WORKLOAD_SETTINGS[kind], { someExtraSetting: 'v-extra' });
      expect(secrets, kind).toEqual({ someExtraSetting: 'v-extra' });
      const refused = errorsOf(kind, kind === 'compose' ? { compose: 'services:\n  a:\n    image: nginx\n' } : kind === 'runner-stack' ? { apiImage: 'ghcr.io/a/b:1' } : {}, secrets).some((e) => e.field === 'config.someExtraSetting');
      expect(refused, kind).toBe(WORKLOAD_SETTINGS[kind].extra === 'rejected');
    }
  });
});
