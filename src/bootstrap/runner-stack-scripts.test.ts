import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSmokeScript, renderUpdateScript } from './runner-stack-scripts.ts';

describe('runner-stack scripts', () => {
  it('are static bash that parses, reading their settings from stack.env', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-runner-scripts-'));
    try {
      for (const [name, script] of [['update.sh', renderUpdateScript()], ['smoke.sh', renderSmokeScript()]]) {
        expect(script.startsWith('#!/bin/bash\n')).toBe(true);
        expect(script).toContain('. "$STACK_DIR/stack.env"');
        writeFileSync(join(dir, name), script);
        execFileSync('bash', ['-n', join(dir, name)]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(renderUpdateScript()).toBe(renderUpdateScript());
  });

  it('gates the update on the review stamp and rolls back a failed deploy', () => {
    const update = renderUpdateScript();
    expect(update).toContain('docs/LAST_REVIEWED_SHA.txt');
    expect(update).toContain('rolling back to $current');
    expect(renderSmokeScript()).toContain('http://127.0.0.1:$API_PORT$HEALTH_PATH');
  });
});
