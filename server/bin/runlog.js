#!/usr/bin/env node
// The `runlog` bin: the compiled server (npm run build writes dist/).
import '../dist/main.js';
