#!/usr/bin/env node
// CLI launcher: runs the compiled CLI from lib/ (built by `npm ci` via the prepare script).
import { main } from '../lib/cli/index.js';

process.exitCode = await main(process.argv.slice(2));
