#!/usr/bin/env node
// The `runlog-runner` bin: the compiled CLI (npm run build writes dist/).
import '../dist/cli.js';
