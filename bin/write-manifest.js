#!/usr/bin/env node
// Writes oclif.manifest.json (part of `npm run build`): the flags, arguments and help of
// every command, so that a command starts by loading its own module only. Without it,
// oclif loads every command module (and what they import: the report's Vega libraries,
// the HTTP client) on each start: 0.6 s of CPU for `tracebench gate`, 0.2 s with it.
import {rmSync, writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {Config} from '@oclif/core'

const root = fileURLToPath(new URL('..', import.meta.url))
const file = new URL('../oclif.manifest.json', import.meta.url)
// A manifest from an earlier build would be read back instead of the commands as built.
rmSync(file, {force: true})
const config = await Config.load({root})
const plugin = config.plugins.get(config.pjson.name)
writeFileSync(file, `${JSON.stringify(plugin.manifest, null, 2)}\n`)
