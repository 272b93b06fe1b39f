#!/usr/bin/env node
// The `kessai` command. TypeScript sources are loaded through tsx, so there is no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
