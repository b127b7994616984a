import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
export const workerFile = join(repoRoot, 'dist', 'parallel', 'replay-worker.js')
export const mooncakeTrace = join(repoRoot, '..', 'shared', 'traces', 'mooncake', 'conversation_trace.jsonl')
export const hasMooncake = existsSync(mooncakeTrace)

/** Worker threads run the compiled worker: tests that use them need `npm run build` (npm test builds first). */
export function requireBuiltWorker(): void {
  if (!existsSync(workerFile)) throw new Error(`${workerFile} is missing: run \`npm run build\` before the parallel tests (npm test does)`)
}

/** A small synthesized trace: fast, and always available (no shared folder needed). */
export const smallTrace = 'synth:chat?requests=160&rate=5'

const tempDirs: string[] = []

export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tracebench-${prefix}-`))
  tempDirs.push(dir)
  return dir
}

/** Removes the directories makeTempDir created (call from afterAll). */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, {recursive: true, force: true})
}

/** Every file under `dir` (relative path -> contents), for byte-for-byte comparisons of output trees. */
export function readTree(dir: string, filter: (path: string) => boolean = () => true): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (filter(relative(dir, path))) out[relative(dir, path)] = readFileSync(path, 'utf8')
    }
  }
  walk(dir)
  return out
}
