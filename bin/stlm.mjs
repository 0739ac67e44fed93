#!/usr/bin/env node
// The `stlm` command: runs the TypeScript CLI through tsx, so there is no separate build step for Node.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
