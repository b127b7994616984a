#!/usr/bin/env node
import {enableCompileCache} from 'node:module'

// Keep V8's compiled code of tracebench and its dependencies between runs (Node 22.8+,
// in the OS temp folder): a command then starts with about a quarter less CPU.
enableCompileCache?.()
const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
