import { describe, expect, it } from 'vitest';
import { dashboardUrl } from './open.ts';

describe('hangar open', () => {
  it('points at the instance page of the dashboard the CLI talks to', () => {
    expect(dashboardUrl('http://127.0.0.1:7070/', '5aa2f4bc-0000-4000-8000-000000000001')).toBe('http://127.0.0.1:7070/#/instances/5aa2f4bc-0000-4000-8000-000000000001');
  });
});
