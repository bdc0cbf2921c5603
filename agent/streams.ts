/**
 * The agent's end of streams (src/domain/stream-channel.ts): a shell in a PTY (`hangar ssh`,
 * the dashboard's terminal) and connections to loopback TCP ports (`hangar port-forward`, the
 * workload proxy). The hub opens them; the agent only ever connects to 127.0.0.1, and opens a
 * shell only when exec is enabled on the instance.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { StreamMux, encodeStreamData, type StreamChannel, type StreamControl } from '../src/domain/stream-channel.ts';
import { STREAM_LIMITS, STREAM_MAX_ARG_CHARS, STREAM_MAX_ARGS, STREAM_MAX_COLS, STREAM_MAX_PER_AGENT, STREAM_MAX_ROWS } from '../src/hub/protocol.ts';

/**
 * A PTY without a native addon: python3's `pty` runs the command on a pseudo-terminal and relays
 * it on stdin/stdout; fd 3 takes `cols rows` lines (window resize); it exits with the command's
 * exit code (128+signal when killed).
 */
export const PTY_HELPER = String.raw`
import os, pty, sys, select, fcntl, termios, struct
cols, rows, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    except Exception as e:
        sys.stderr.write("hangar: cannot run %s: %s\r\n" % (argv[0], e))
        os._exit(127)
def size(c, r):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", r, c, 0, 0))
size(cols, rows)
fds, buf = [0, fd, 3], b""
while True:
    ready = select.select(fds, [], [])[0]
    if fd in ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            break
        os.write(1, data)
    if 0 in ready:
        data = os.read(0, 65536)
        if data:
            os.write(fd, data)
        else:
            fds.remove(0)
    if 3 in ready:
        data = os.read(3, 1024)
        if not data:
            fds.remove(3)
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            c, r = line.split()
            size(int(c), int(r))
status = os.waitpid(pid, 0)[1]
code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
sys.exit(code)
`;

/**
 * Whether a `stream-open` asks for something the agent does: a PTY of a sane size with at most
 * STREAM_MAX_ARGS arguments, or a TCP port 1–65535 (always on 127.0.0.1). The reason when not.
 *
 * @example
 * refusal({ type: 'stream-open', sid: 1, kind: 'tcp', port: 0 }) // 'port must be 1-65535'
 */
export function refusal(m: Extract<StreamControl, { type: 'stream-open' }>, execEnabled = true): string | null {
  if (m.kind === 'tcp') return Number.isInteger(m.port) && m.port >= 1 && m.port <= 65535 ? null : 'port must be 1-65535';
  if (m.kind !== 'pty') return `unknown stream kind ${String((m as { kind: unknown }).kind)}`;
  if (!execEnabled) return 'exec is disabled on this instance: a shell needs config {"exec": true}';
  if (!Number.isInteger(m.cols) || !Number.isInteger(m.rows) || m.cols < 1 || m.rows < 1 || m.cols > STREAM_MAX_COLS || m.rows > STREAM_MAX_ROWS) return `terminal size must be 1-${STREAM_MAX_COLS} columns and 1-${STREAM_MAX_ROWS} rows`;
  if (m.argv !== undefined && (!Array.isArray(m.argv) || m.argv.length > STREAM_MAX_ARGS || m.argv.some((a) => typeof a !== 'string' || a.length > STREAM_MAX_ARG_CHARS))) return `a command is at most ${STREAM_MAX_ARGS} strings of ${STREAM_MAX_ARG_CHARS} characters`;
  return null;
}

/** The login shell a terminal runs when no command is given. */
function defaultShell(): string[] {
  const sh = process.env.SHELL && existsSync(process.env.SHELL) ? process.env.SHELL : existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';
  return [sh, '-l'];
}

/**
 * The streams of the agent's current hub socket.
 *
 * @example
 * const host = new StreamHost({ execEnabled: () => true, log });
 * host.attach((f) => ws.send(f)); // on open
 * host.onBinary(frame); host.onControl(m); // on message
 * host.detach(); // on close
 */
export class StreamHost {
  private mux: StreamMux | null = null;

  constructor(private readonly opts: { execEnabled: () => boolean; log: (line: string) => void }) {}

  attach(send: (frame: string | Buffer) => void): void {
    this.detach();
    this.mux = new StreamMux({ data: (sid, payload) => send(encodeStreamData(sid, payload)), control: (m) => send(JSON.stringify(m)) }, STREAM_LIMITS, STREAM_MAX_PER_AGENT);
  }

  detach(): void {
    this.mux?.closeAll('the hub connection closed');
    this.mux = null;
  }

  onBinary(frame: Buffer): void {
    this.mux?.onData(frame);
  }

  onControl(m: StreamControl): void {
    const mux = this.mux;
    if (!mux) return;
    if (m.type !== 'stream-open') return void mux.onControl(m);
    const why = refusal(m, this.opts.execEnabled());
    const ch = why ? null : mux.add(m.sid);
    if (!ch) return mux.send({ type: 'stream-close', sid: m.sid, error: why ?? `the agent has ${STREAM_MAX_PER_AGENT} streams open already` });
    const opened = () => mux.send({ type: 'stream-opened', sid: m.sid });
    if (m.kind === 'tcp') this.tcp(ch, m.port, opened);
    else this.pty(ch, m.cols, m.rows, m.argv?.length ? m.argv : defaultShell(), opened);
  }

  private tcp(ch: StreamChannel, port: number, opened: () => void): void {
    const sock = connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      opened();
      sock.pipe(ch);
      ch.pipe(sock);
    });
    sock.on('error', (err) => ch.destroy(new Error(`127.0.0.1:${port}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
    // Both directions done: the stream is over once what we forwarded has been sent.
    sock.on('close', () => (ch.writableFinished ? ch.destroy() : ch.once('finish', () => ch.destroy())));
    ch.on('close', () => sock.destroy());
  }

  private pty(ch: StreamChannel, cols: number, rows: number, argv: string[], opened: () => void): void {
    const child = spawn('python3', ['-c', PTY_HELPER, String(cols), String(rows), ...argv], {
      cwd: homedir(),
      env: { ...process.env, TERM: 'xterm-256color', HANGAR_SUPERVISOR_PID: '' },
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    const control = child.stdio[3] as NodeJS.WritableStream;
    let code: number | null = null;
    child.once('spawn', () => {
      this.opts.log(`terminal opened (stream ${ch.sid}, ${argv[0]})`);
      opened();
    });
    child.once('error', (err) => ch.destroy(new Error(`python3 is needed on the server for a terminal (apt-get install python3): ${err.message}`)));
    child.stdout!.pipe(ch);
    child.stderr!.pipe(ch, { end: false });
    ch.pipe(child.stdin!).on('error', () => {});
    ch.on('resize', (c: number, r: number) => {
      if (Number.isInteger(c) && Number.isInteger(r) && c >= 1 && r >= 1 && c <= STREAM_MAX_COLS && r <= STREAM_MAX_ROWS) control.write(`${c} ${r}\n`);
    });
    const finish = () => {
      ch.sendExit(code!);
      ch.destroy();
    };
    child.once('close', (c, signal) => {
      code = c ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGHUP' ? 1 : 15);
      this.opts.log(`terminal closed (stream ${ch.sid}, exit ${code})`);
      if (ch.writableFinished || ch.destroyed) finish();
      else ch.once('finish', finish);
    });
    // The far end went away: hang up the terminal.
    ch.on('close', () => code === null && child.kill('SIGHUP'));
  }
}
