/** Entry of the `hangar` CLI (see bin/hangar.js and src/cli/program.ts). */
import { endQuietlyWhenReaderLeaves } from './pipes.ts';
import { runCli } from './program.ts';

// `hangar events ID | head -1`: once the reader is gone, stop quietly with exit 0.
endQuietlyWhenReaderLeaves(process.stdout, process.stderr, (code) => process.exit(code));
const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
// Exit now (open keep-alive sockets or timers must not hold the process), after stdout drains.
if (process.stdout.writableLength) process.stdout.once('drain', () => process.exit(code));
else process.exit(code);
