#!/usr/bin/env node
// The `sluice` command: runs the TypeScript sources through tsx, so there is no build step
// between a change and a run (see docs/adr/0002-run-typescript-with-tsx.md).
import { register } from 'tsx/esm/api';

register();
await import('../cli.ts');
