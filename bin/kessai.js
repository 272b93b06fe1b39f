#!/usr/bin/env node
// The `kessai` command. TypeScript sources are loaded through tsx, so there is no build step.
// The project's tsconfig.json is named explicitly: tsx would otherwise look for one in the current
// directory, and the pages' JSX (Preact) would not compile when `kessai` runs from anywhere else.
import { register } from 'tsx/esm/api';

register({ tsconfig: new URL('../tsconfig.json', import.meta.url).pathname });
await import('../src/main.ts');
