#!/usr/bin/env node
import { main } from './src/cli/main.js'

// exit explicitly: a bridge must end even while the host keeps its stdin open
main(process.argv.slice(2), process.env, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, signals: process })
  .then((code) => process.exit(code))
