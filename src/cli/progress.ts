import ora, { type Ora } from 'ora';
import { formatDuration, type Colors } from './output.ts';

/** How `--wait` shows progress: one line per finished step, notes (events) in between. */
export interface ProgressView {
  /** A phase (a provisioning step, or `stopping`) began at `startedAt` (ms since epoch). */
  start(name: string, startedAt: number): void;
  /** The current phase ended well after `ms`; `label` replaces its name on the persisted line. */
  done(ms: number, label?: string): void;
  /** The current phase ended badly. */
  fail(ms: number, reason: string): void;
  /** An event worth a line of its own. */
  note(kind: 'info' | 'log' | 'warning' | 'error' | 'connection', text: string): void;
  /** Stop any animation (on timeout, Ctrl+C, errors), leaving the current phase as it stands. */
  stop(label?: string): void;
}

type Write = (s: string) => void;

function noteLines(kind: string, text: string, c: Colors): string[] {
  const lines = text.split('\n').filter((l) => l.length);
  switch (kind) {
    case 'log':
      return lines.map((l) => c.dim(`  │ ${l}`));
    case 'warning':
      return lines.map((l, i) => c.yellow(`  ${i ? ' ' : '⚠'} ${l}`));
    case 'error':
      return lines.map((l, i) => c.red(`  ${i ? ' ' : '✖'} ${l}`));
    default:
      return lines.map((l, i) => `  ${c.dim(i ? ' ' : '·')} ${l}`);
  }
}

/** For pipes and CI: no animation, plain lines as things happen. */
export class PlainView implements ProgressView {
  private current: { name: string } | null = null;
  constructor(
    private readonly write: Write,
    private readonly c: Colors,
  ) {}
  start(name: string): void {
    this.current = { name };
  }
  done(ms: number, label?: string): void {
    if (!this.current) return;
    this.write(`${this.c.green('✔')} ${label ?? this.current.name} ${this.c.dim(formatDuration(ms))}\n`);
    this.current = null;
  }
  fail(ms: number, reason: string): void {
    if (!this.current) return;
    this.write(`${this.c.red('✖')} ${this.current.name} ${this.c.dim(formatDuration(ms))} ${this.c.red(reason)}\n`);
    this.current = null;
  }
  note(kind: string, text: string): void {
    for (const l of noteLines(kind, text, this.c)) this.write(`${l}\n`);
  }
  stop(label?: string): void {
    if (this.current && label) this.write(`${this.c.yellow('…')} ${this.current.name} ${this.c.dim(label)}\n`);
    this.current = null;
  }
}

/** For a terminal: an ora spinner on the current phase, ticking its elapsed time. */
export class SpinnerView implements ProgressView {
  private readonly spinner: Ora;
  private current: { name: string; startedAt: number } | null = null;
  private tick: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly c: Colors,
  ) {
    this.spinner = ora({ stream, color: c.enabled ? 'cyan' : false, discardStdin: false, isEnabled: true });
  }

  start(name: string, startedAt: number): void {
    this.current = { name, startedAt };
    this.render();
    if (!this.spinner.isSpinning) this.spinner.start();
    clearInterval(this.tick);
    this.tick = setInterval(() => this.render(), 1000);
    this.tick.unref();
  }
  done(ms: number, label?: string): void {
    if (!this.current) return;
    this.spinner.stopAndPersist({ symbol: this.c.green('✔'), text: `${label ?? this.current.name} ${this.c.dim(formatDuration(ms))}` });
    this.clear();
  }
  fail(ms: number, reason: string): void {
    if (!this.current) return;
    this.spinner.stopAndPersist({ symbol: this.c.red('✖'), text: `${this.current.name} ${this.c.dim(formatDuration(ms))} ${this.c.red(reason)}` });
    this.clear();
  }
  note(kind: string, text: string): void {
    const spinning = this.spinner.isSpinning;
    if (spinning) this.spinner.clear();
    for (const l of noteLines(kind, text, this.c)) this.stream.write(`${l}\n`);
    if (spinning) this.spinner.render();
  }
  stop(label?: string): void {
    if (this.current && label) this.spinner.stopAndPersist({ symbol: this.c.yellow('…'), text: `${this.current.name} ${this.c.dim(label)}` });
    else this.spinner.stop();
    this.clear();
  }
  private render(): void {
    if (!this.current) return;
    this.spinner.text = `${this.current.name} ${this.c.dim(formatDuration(Math.max(0, Date.now() - this.current.startedAt)))}`;
  }
  private clear(): void {
    clearInterval(this.tick);
    this.tick = undefined;
    this.current = null;
  }
}

/** For `--json`: nothing. */
export class SilentView implements ProgressView {
  start(): void {}
  done(): void {}
  fail(): void {}
  note(): void {}
  stop(): void {}
}
