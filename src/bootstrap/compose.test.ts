import { describe, expect, it } from 'vitest';
import { ValidationError } from '../domain/errors.ts';
import { MAX_COMPOSE_CHARS, composeArgv, composeLiteral, composeSpecErrors, parseCompose, publicPorts, renderComposeYaml } from './compose.ts';

describe('compose helpers', () => {
  it('parses and validates compose YAML, naming config.compose', () => {
    expect(parseCompose('services:\n  web:\n    image: nginx\n').services).toEqual({ web: { image: 'nginx' } });
    try {
      parseCompose('services:\n  web:\n    image: nginx\n    image: httpd\n');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).errors?.[0]).toMatchObject({ field: 'config.compose', message: expect.stringMatching(/^YAML: /) });
    }
    expect(() => parseCompose('services: {}\n')).toThrow(/at least one service/);
    expect(composeSpecErrors({ services: { web: { image: 'nginx', healthcheck: { interval: '1m30s' } } } })).toEqual([]);
    expect(composeSpecErrors({ services: { web: { image: 'nginx', healthcheck: { interval: '90 seconds' } } } })).toEqual([expect.stringMatching(/interval must match format "duration"/)]);
    expect(composeSpecErrors({ services: { web: { image: 'nginx', ports: ['${PORT}:80'] } } })).toEqual([]);
  });

  it('finds ports Docker would open on every interface', () => {
    const doc = { services: { a: { ports: ['8080:80', '127.0.0.1:9000:9000', '[::1]:9001:9001', 80, { target: 80, host_ip: '127.0.0.1' }, { target: 81 }] } } };
    expect(publicPorts(doc)).toEqual(['a: 8080:80', 'a: 80', 'a: {"target":81}']);
  });

  it('renders argv, literals and YAML without anchors', () => {
    expect(composeArgv({ project: 'p', dir: '/opt/p', file: '/opt/p/c.yml', envFile: '/etc/p/env' }, '/usr/bin/docker')).toEqual([
      '/usr/bin/docker', 'compose', '--project-name', 'p', '--project-directory', '/opt/p', '--file', '/opt/p/c.yml', '--env-file', '/etc/p/env',
    ]);
    expect(composeLiteral('a$b$$')).toBe('a$$b$$$$');
    const shared = { context: '.' };
    const yaml = renderComposeYaml('c', { services: { a: { build: shared }, b: { build: shared, command: ['x', 'yes', 'on', '0600'] } } });
    expect(yaml).not.toMatch(/[&*]a1/);
    expect(yaml).toContain('- "yes"');
    expect(yaml).toContain('- "0600"');
  });
  it('refuses an alias bomb with a 4xx naming the field, and reads valid compose the old schema refused', () => {
    const bomb = ['a: &a [x,x,x,x,x,x,x,x,x]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]', 'd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'services:', '  web:', '    image: nginx', ''].join('\n');
    expect(() => parseCompose(bomb)).toThrow(ValidationError);
    expect(() => parseCompose(bomb)).toThrow(/config\.compose.*aliases may expand to at most 100/);
    expect(() => parseCompose(`services:\n  web:\n    image: ${'x'.repeat(MAX_COMPOSE_CHARS)}\n`)).toThrow(/at most/);
    const merged = parseCompose('x-base: &base\n  image: nginx\n  restart: always\nservices:\n  web:\n    <<: *base\n    ports: ["127.0.0.1:80:80"]\n');
    expect(merged.services.web).toMatchObject({ image: 'nginx', restart: 'always' });
    expect(() => parseCompose('include:\n  - other.yml\nservices:\n  web:\n    image: nginx\n    gpus: all\n    env_file:\n      - path: ./a.env\n        required: false\n    healthcheck:\n      test: [CMD, "true"]\n      start_interval: 5s\n')).not.toThrow();
  });
});
