import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import OpenAI from 'openai'
import {describe, expect, it} from 'vitest'
import {loadTokenizer} from '../../src/http/tokenizer.js'

const root = join(import.meta.dirname, '..', '..')
const bin = join(root, 'bin', 'run.js')

function startServe(args: string[]): {child: ChildProcess; url: Promise<string>; output: () => string} {
  const child = spawn(process.execPath, [bin, 'serve', ...args], {cwd: root, stdio: ['ignore', 'pipe', 'pipe']})
  let output = ''
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const lines = createInterface({input: child.stdout!})
  const url = new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      output += `${line}\n`
      const m = /^listening on (http:\/\/\S+)$/.exec(line)
      if (m !== null) resolve(m[1]!)
    })
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)))
  })
  return {child, url, output: () => output}
}

describe('tracebench serve (CLI)', () => {
  it('serves on a free port, counts prompts with the default tokenizer, and stops cleanly on SIGINT', async () => {
    const serve = startServe(['--backend', 'gpu-h100', '--model', 'llama-3.1-8b', '--port', '0'])
    const url = await serve.url
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/)
    const client = new OpenAI({baseURL: url, apiKey: 'unused', maxRetries: 0})
    const content = 'Replay this trace against the simulated cluster, please.'
    const response = await client.chat.completions.create({model: 'llama-3.1-8b', messages: [{role: 'user', content}], max_tokens: 6, ...{ignore_eos: true}})
    expect(response.usage?.prompt_tokens).toBe(loadTokenizer().countTokens(content))
    // The answer is made of single-token words: sent back, it counts as many tokens as it had.
    expect(loadTokenizer().countTokens(response.choices[0]!.message.content!)).toBe(6)
    const exited = new Promise<number | null>((resolve) => serve.child.once('exit', resolve))
    serve.child.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(serve.output()).toMatch(/SIGINT: stopped\. 1 requests completed/)
  }, 30_000)

  it('refuses a port in use and a bad backend with exit 2', async () => {
    const first = startServe(['--backend', 'gpu-h100', '--model', 'llama-3.1-8b', '--port', '0'])
    const port = new URL(await first.url).port
    const second = spawnSync(process.execPath, [bin, 'serve', '--backend', 'gpu-h100', '--model', 'llama-3.1-8b', '--port', port], {cwd: root, encoding: 'utf8'})
    first.child.kill('SIGTERM')
    expect(second.status).toBe(2)
    expect(second.stderr).toMatch(new RegExp(`--port ${port}: the port is in use`))
    const bad = spawnSync(process.execPath, [bin, 'serve', '--backend', 'no-such-backend'], {cwd: root, encoding: 'utf8'})
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/unknown backend "no-such-backend"/)
  }, 30_000)
})
