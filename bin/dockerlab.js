#!/usr/bin/env node
// The dockerlab command: runs engine/cli.ts through tsx, so there is no build step for the server.
import { register } from 'tsx/esm/api';
register();
await import('../engine/cli.ts');
