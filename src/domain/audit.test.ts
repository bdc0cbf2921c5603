import { describe, expect, it } from 'vitest';
import { actorKind, auditData, auditObject } from './audit.ts';

describe('audit data', () => {
  it('keeps no secret value: secret maps become names, secret fields are masked, argv and text are redacted', () => {
    const out = auditData({
      provider: 'local',
      secrets: { OPENAI_API_KEY: 'sk-abcdefghijklmnopqrstuvwx' },
      token: 'hetzner-token-value',
      privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----',
      argv: ['mysql', '-uroot', '-phunter22'],
      config: { note: 'url https://bob:s3cret@db.example', port: 8080, dbPassword: 'pw1' },
    });
    const text = JSON.stringify(out);
    for (const secret of ['sk-abcdefghijklmnop', 'hetzner-token-value', 'hunter22', 's3cret', 'pw1', 'BEGIN OPENSSH PRIVATE KEY-----\\nabc']) expect(text).not.toContain(secret);
    expect(out).toMatchObject({ provider: 'local', secrets: ['OPENAI_API_KEY'], token: '[REDACTED]', argv: ['mysql', '-uroot', '-p[REDACTED]'], config: { port: 8080, dbPassword: '[REDACTED]' } });
  });

  it('masks what enrollment sends (token, nonce, proof) and keeps what identifies the agent', () => {
    const body = { token: 'hgb_0123456789abcdef', instanceId: 'i-1', version: '1.2.3', nonce: 'n'.repeat(32), proofHash: 'a'.repeat(64), proof: 'p'.repeat(43) };
    expect(auditData(body)).toEqual({ token: '[REDACTED]', instanceId: 'i-1', version: '1.2.3', nonce: '[REDACTED]', proofHash: '[REDACTED]', proof: '[REDACTED]' });
  });

  it('masks workload settings the settings schemas mark secret (compose, environment) and those with secret names', () => {
    const out = auditData({ config: { compose: 'services:\n  db:\n    image: postgres', environment: 'A=1', gatewayToken: 'gw', gitPassword: 'gp', keycloakClientSecret: 'kc', cursorApiKey: 'ck', port: 3000 } });
    expect(out).toEqual({ config: { compose: '[REDACTED]', environment: '[REDACTED]', gatewayToken: '[REDACTED]', gitPassword: '[REDACTED]', keycloakClientSecret: '[REDACTED]', cursorApiKey: '[REDACTED]', port: 3000 } });
  });

  it('bounds what it keeps', () => {
    const out = auditData({ long: 'x'.repeat(5000), many: Array.from({ length: 200 }, (_, i) => i) }) as { long: string; many: number[] };
    expect(out.long.length).toBeLessThanOrEqual(501);
    expect(out.many).toHaveLength(50);
  });

  it('names actor kinds and objects', () => {
    expect(actorKind('api:ci')).toBe('api');
    expect(actorKind('user:a@b.c')).toBe('user');
    expect(actorKind('reconciler')).toBe('system');
    expect(actorKind(null)).toBe('anonymous');
    expect(auditObject('/v1/instances/:id/exec', { id: 'a1' })).toEqual({ type: 'instance', id: 'a1' });
    expect(auditObject('/v1/ssh-hosts/:ref', { ref: 'web' })).toEqual({ type: 'ssh-host', id: 'web' });
    expect(auditObject('/v1/instances', {})).toEqual({ type: 'instance', id: null });
    expect(auditObject('/v1/agent-releases/:version/approve', { version: '1.2.3' })).toEqual({ type: 'agent-release', id: '1.2.3' });
  });
});
