#!/usr/bin/env node
// Entry point of the `maille` binary: runs the compiled CLI (npm run build writes dist/).
import '../dist/src/cli/main.js';
