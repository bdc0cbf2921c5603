import { describe, expect, it } from 'vitest';
import { clampInt, clockCheck, diskCheck, linesOfUnit, memoryCheck, parseTailscaleStatus, runArgv, secretFileCheck, supervised, tailLines, tailscaleCheck, truncate, ufwCheck, which, worst } from './ops.ts';

const GiB = 1024 ** 3;

describe('agent ops: pure checks', () => {
  it('disk: pass, warn under 1 GiB or 10 %, fail under 200 MiB or 2 %', () => {
    expect(diskCheck(50 * GiB, 100 * GiB, '/opt').status).toBe('pass');
    expect(diskCheck(0.5 * GiB, 10 * GiB, '/opt').status).toBe('warn');
    expect(diskCheck(5 * GiB, 100 * GiB, '/opt').status).toBe('warn');
    const f = diskCheck(100 * 1024 ** 2, 100 * GiB, '/opt');
    expect(f).toMatchObject({ name: 'disk', status: 'fail' });
    expect(f.hint).toMatch(/prune/);
    expect(f.detail).toContain('/opt');
  });

  it('memory: warn under 10 %, fail under 3 %', () => {
    expect(memoryCheck(4 * GiB, 8 * GiB).status).toBe('pass');
    expect(memoryCheck(0.5 * GiB, 8 * GiB).status).toBe('warn');
    expect(memoryCheck(0.1 * GiB, 8 * GiB).status).toBe('fail');
  });

  it('clock skew against the control plane', () => {
    const now = 1_700_000_000_000;
    expect(clockCheck(now - 1000, now).status).toBe('pass');
    expect(clockCheck(now + 10_000, now)).toMatchObject({ status: 'warn', detail: '-10.0 s against the control plane' });
    expect(clockCheck(new Date(now - 120_000).toISOString(), now)).toMatchObject({ status: 'fail', hint: expect.stringMatching(/timedatectl/) });
    expect(clockCheck(undefined, now).status).toBe('warn');
  });

  it('secret files must be 0600', () => {
    expect(secretFileCheck('/opt/hangar/config/agent.env', 0o100600)).toMatchObject({ name: 'permissions agent.env', status: 'pass' });
    expect(secretFileCheck('/opt/hangar/config/agent.env', 0o100644)).toMatchObject({ status: 'fail', hint: 'chmod 600 /opt/hangar/config/agent.env', detail: expect.stringContaining('0644') });
    expect(secretFileCheck('/x/state.json', 0o100640).status).toBe('fail');
    expect(secretFileCheck('/x/state.json', 0o100400).status).toBe('pass');
    expect(secretFileCheck('/x/bootstrap.json', null).status).toBe('pass');
  });

  it('parses tailscale status --json', () => {
    const s = parseTailscaleStatus(JSON.stringify({ BackendState: 'Running', Self: { DNSName: 'hangar-a-1.tail1234.ts.net.', Online: true, TailscaleIPs: ['100.64.0.7', 'fd7a::7'] } }));
    expect(s).toEqual({ backendState: 'Running', dnsName: 'hangar-a-1.tail1234.ts.net', online: true, ips: ['100.64.0.7', 'fd7a::7'] });
    expect(tailscaleCheck(s)).toMatchObject({ status: 'pass', detail: 'running as hangar-a-1.tail1234.ts.net (100.64.0.7)' });
    expect(tailscaleCheck(parseTailscaleStatus('{"BackendState":"NeedsLogin","Self":{}}'))).toMatchObject({ status: 'fail', hint: expect.stringMatching(/tailscale up/) });
    expect(parseTailscaleStatus('not json')).toBeNull();
    expect(tailscaleCheck(null, 'permission denied').status).toBe('warn');
  });

  it('reads ufw status', () => {
    expect(ufwCheck('Status: active\n\nTo Action From\n-- ------ ----\n22/tcp ALLOW Anywhere\n41641/udp ALLOW Anywhere\n')).toMatchObject({ status: 'pass', detail: 'ufw active, 2 rules' });
    expect(ufwCheck('Status: inactive\n')).toMatchObject({ status: 'fail', hint: expect.stringMatching(/ufw enable/) });
    expect(ufwCheck('Status: active\n').status).toBe('warn');
  });

  it('log helpers, truncation, clamping, verdict', () => {
    expect(tailLines('a\nb\nc\n', 2)).toEqual(['b', 'c']);
    expect(tailLines('a\nb', 5)).toEqual(['a', 'b']);
    expect(tailLines('a\n', 0)).toEqual([]);
    const log = '2026-01-01T00:00:00.000Z [bootstrap] enrolling\n2026-01-01T00:00:01.000Z [agent] hello\n2026-01-01T00:00:02.000Z [workload] [workload] up\n';
    expect(linesOfUnit(log, 'bootstrap')).toEqual(['2026-01-01T00:00:00.000Z enrolling']);
    expect(linesOfUnit(log, 'workload')).toEqual(['2026-01-01T00:00:02.000Z [workload] up']);
    expect(truncate('abcdef', 3)).toBe('abc… [3 more characters]');
    expect(truncate('abc', 3)).toBe('abc');
    expect(clampInt('50', 100, 1, 5000)).toBe(50);
    expect(clampInt(99999, 100, 1, 5000)).toBe(5000);
    expect(clampInt('x', 100, 1, 5000)).toBe(100);
    expect(worst([{ name: 'a', status: 'pass', detail: '' }, { name: 'b', status: 'warn', detail: '' }])).toBe('warn');
    expect(worst([{ name: 'a', status: 'fail', detail: '' }, { name: 'b', status: 'warn', detail: '' }])).toBe('fail');
    expect(worst([])).toBe('pass');
    expect(supervised({ INVOCATION_ID: 'abc' })).toBe(true);
    expect(supervised({})).toBe(false);
  });

  it('which and runArgv (timeout, exit codes, missing binaries)', async () => {
    expect(which('sh')).toMatch(/\/sh$/);
    expect(which('definitely-not-a-binary-xyz')).toBeNull();
    expect(await runArgv(['sh', '-c', 'echo out; echo err >&2; exit 4'], 5000)).toMatchObject({ exitCode: 4, stdout: 'out\n', stderr: 'err\n', timedOut: false });
    expect((await runArgv(['sleep', '5'], 200)).timedOut).toBe(true);
    expect((await runArgv(['definitely-not-a-binary-xyz'], 1000)).exitCode).toBe(127);
    expect((await runArgv(['sh', '-c', 'yes | head -c 100000'], 5000, 1000)).stdout.length).toBe(1000);
  });
});
