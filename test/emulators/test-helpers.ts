/** Helpers shared by the emulator tests (not an emulator API). */
import { expect } from 'vitest';
import type { BootstrapConfig } from '../../src/bootstrap/types.ts';
import type { BootedServer, BootServer, BuilderServer } from './boot.ts';
import { validateResponse, type SpecVendor } from './spec-schemas.ts';

export interface Res {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are inspected freely
  body: any;
}

/** One HTTP call; JSON in, JSON (or empty) out. */
export async function call(base: string, token: string | null, method: string, path: string, body?: unknown): Promise<Res> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: r.status, headers: r.headers, body: parsed };
}

/** Assert a response body matches the vendor spec for (method, template, status). */
export function expectSpec(vendor: SpecVendor, method: string, template: string, res: Res): void {
  const v = validateResponse(vendor, method, template, res.status, res.body);
  expect(v.errors, `${vendor} ${method} ${template} ${res.status}: ${JSON.stringify(res.body).slice(0, 400)}`).toEqual([]);
}

/** Rendered user-data as Hangar's bootstrap renderer would write it: a real #cloud-config. */
export function cloudConfig(b: BootstrapConfig): string {
  const json = JSON.stringify(b);
  return [
    '#cloud-config',
    'package_update: false',
    'users:',
    '  - name: hangar',
    '    shell: /bin/bash',
    'write_files:',
    '  - path: /opt/hangar/config/bootstrap.json',
    "    permissions: '0600'",
    '    owner: root:root',
    '    content: |',
    `      ${json}`,
    '  - path: /etc/hangar/README',
    '    content: managed by hangar',
    'runcmd:',
    '  - [systemctl, enable, --now, hangar-agent.service]',
    '',
  ].join('\n');
}

export const BUILDER_USER_DATA = '#cloud-config\nruncmd:\n  - [bash, -c, "apt-get install -y nodejs && poweroff"]\n';

export function bootstrapFor(i: number | string): BootstrapConfig {
  return { apiUrl: 'https://hangar.example.test', token: `hgb_${'x'.repeat(20)}${i}`, instanceId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, serverName: `hangar-test-${i}` };
}

/** A boot hook that records its calls and its stops. */
export function fakeBoot(): {
  boot: (s: BootServer) => Promise<BootedServer>;
  builder: (s: BuilderServer) => Promise<BootedServer>;
  booted: BootServer[];
  built: BuilderServer[];
  stopped: string[];
} {
  const booted: BootServer[] = [];
  const built: BuilderServer[] = [];
  const stopped: string[] = [];
  return {
    booted,
    built,
    stopped,
    boot: async (s) => {
      booted.push(s);
      return { stop: async () => void stopped.push(s.id) };
    },
    builder: async (s) => {
      built.push(s);
      return { stop: async () => void stopped.push(s.id) };
    },
  };
}

export const until = async (cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};
