#!/usr/bin/env node
// The `hangar` CLI: run the TypeScript entry through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
