import { describe, expect, it } from 'vitest';
import { renderProcessWorkload } from './process-workload.ts';
import { workloadUiPort } from './ui-port.ts';

describe('workloadUiPort', () => {
  it('takes uiPort first, then the workload’s own port, else none', () => {
    expect(workloadUiPort('openclaw', {})).toBe(18789);
    expect(workloadUiPort('openclaw', { port: 19000 })).toBe(19000);
    expect(workloadUiPort('process', { port: 8080 })).toBe(8080);
    expect(workloadUiPort('process', { port: 0 })).toBeNull();
    expect(workloadUiPort('compose', { uiPort: 3000 })).toBe(3000);
    expect(workloadUiPort('compose', { uiPort: 70000 })).toBeNull();
    expect(workloadUiPort('runner-stack', null)).toBeNull();
  });

  it('uiPort is a setting of every workload, checked like exec', () => {
    expect(() => renderProcessWorkload({ uiPort: 3000 } as never)).not.toThrow();
    expect(() => renderProcessWorkload({ uiPort: 'x' } as never)).toThrow(/uiPort: must be a port number/);
  });
});
