import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ActivitySampler, connectionsOf, dockerBytes, established, parseDockerStats, parseStat, processTree, socketInode } from './activity.ts';

// Real kernel formats (trimmed to the fields read), one established and one listening socket per table.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 222 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:D2F4 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 333 1 0000000000000000 20 4 30 10 -1
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0050 00000000000000000000000001000000:C350 01 00000000:00000000 00:00000000 00000000     0        0 444 1 0000000000000000 20 4 1 10 -1
`;
const stat = (pid: number, name: string, ppid: number, utime: number, stime: number) =>
  `${pid} (${name}) S ${ppid} ${pid} ${pid} 0 -1 4194560 100 0 0 0 ${utime} ${stime} 0 0 20 0 1 0 500 1000 100 18446744073709551615\n`;

describe('/proc parsing', () => {
  it('reads parent and CPU ticks from stat, even with spaces and parentheses in the name', () => {
    expect(parseStat(stat(42, 'node (worker) x', 7, 150, 30))).toEqual({ pid: 42, ppid: 7, ticks: 180 });
    expect(parseStat('garbage')).toBeNull();
  });

  it('keeps only established sockets of tcp and tcp6 tables, by inode', () => {
    expect([...established(TCP)]).toEqual([222, 333]);
    expect([...established(TCP6)]).toEqual([444]);
    expect(socketInode('socket:[222]')).toBe(222);
    expect(socketInode('/dev/null')).toBeNull();
  });

  it('counts the connections of a process tree in a fixture /proc', async () => {
    const proc = await mkdtemp(join(tmpdir(), 'proc-'));
    try {
      const mk = async (pid: number, ppid: number, fds: string[]) => {
        await mkdir(join(proc, String(pid), 'fd'), { recursive: true });
        await writeFile(join(proc, String(pid), 'stat'), stat(pid, 'w', ppid, pid, 1));
        for (const [i, target] of fds.entries()) await symlink(target, join(proc, String(pid), 'fd', String(i)));
      };
      await mk(10, 1, ['socket:[111]', '/dev/null']); // the workload: a listener only
      await mk(11, 10, ['socket:[222]']); // its child: one established connection
      await mk(12, 1, ['socket:[333]']); // not in the tree
      await mkdir(join(proc, '10', 'net'));
      await writeFile(join(proc, '10', 'net', 'tcp'), TCP);
      await writeFile(join(proc, '10', 'net', 'tcp6'), TCP6);
      const tree = await processTree(10, proc);
      expect(tree.map((s) => s.pid)).toEqual([10, 11]);
      expect(await connectionsOf([10, 11], proc)).toBe(1);
      expect(await processTree(99, proc)).toEqual([]);
    } finally {
      await rm(proc, { recursive: true, force: true });
    }
  });

  it('reads docker stats: CPU summed, network in + out in bytes', () => {
    expect(dockerBytes('1.5kB')).toBe(1500);
    expect(dockerBytes('2MiB')).toBe(2 * 1024 * 1024);
    expect(dockerBytes('0B')).toBe(0);
    expect(parseDockerStats('{"CPUPerc":"1.50%","NetIO":"1kB / 2kB"}\n{"CPUPerc":"0.25%","NetIO":"0B / 500B"}\n')).toEqual({ cpuPercent: 1.75, netBytes: 3500 });
  });

  it('compose: CPU from docker, network bytes moved since the last sample; no docker, no report', async () => {
    let net = '1kB / 1kB';
    const run = async (argv: string[]) => (argv[1] === 'compose' ? 'abc\n' : `{"CPUPerc":"0.10%","NetIO":"${net}"}\n`);
    const s = new ActivitySampler(() => ({ pid: null, health: { type: 'compose', file: '/x.yml', services: ['a'] } }), { run });
    expect(await s.sample()).toEqual({ cpuPercent: 0.1 });
    net = '2kB / 1.5kB';
    expect(await s.sample()).toEqual({ cpuPercent: 0.1, networkBytes: 1500 });
    const none = new ActivitySampler(() => ({ pid: null, health: { type: 'compose', file: '/x.yml', services: ['a'] } }), { run: () => Promise.reject(new Error('docker: not found')) });
    expect(await none.sample()).toBeUndefined();
  });
});

describe('a real process', () => {
  let child: ChildProcess | undefined;
  let server: Server | undefined;
  const peers: Socket[] = [];
  afterAll(() => {
    child?.kill('SIGKILL');
    for (const p of peers) p.destroy();
    server?.close();
  });

  it('reports its CPU over the interval and its established connection', async () => {
    server = createServer((sock) => peers.push(sock));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    // Connects, then burns CPU for a while, then idles.
    const script = `const s=require('net').connect(${port},'127.0.0.1',()=>{process.stdout.write('up\\n');const t=Date.now();while(Date.now()-t<600){}});setInterval(()=>{},1000);`;
    child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    await new Promise<void>((r) => child!.stdout!.once('data', () => r()));
    const sampler = new ActivitySampler(() => ({ pid: child!.pid!, health: { type: 'http', url: 'http://127.0.0.1/' } }));
    const first = await sampler.sample();
    expect(first).toEqual({ connections: 1 }); // no interval yet: no CPU figure
    await new Promise((r) => setTimeout(r, 1000));
    const second = await sampler.sample();
    expect(second?.connections).toBe(1);
    expect(second?.cpuPercent).toBeGreaterThan(10); // it spun ~0.6 s of the last ~1 s
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    expect(await sampler.sample()).toBeUndefined();
  });
});
