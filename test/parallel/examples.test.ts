import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'
import {parse} from 'yaml'
import {repoRoot} from './helpers.js'

const examples = join(repoRoot, 'examples')

describe('examples/', () => {
  test('the Kubernetes Indexed Job passes its completion index as the shard, with n = completions', () => {
    const job = parse(readFileSync(join(examples, 'k8s-sweep-indexed-job.yaml'), 'utf8'))
    expect(job.kind).toBe('Job')
    expect(job.spec.completionMode).toBe('Indexed')
    const args: string = job.spec.template.spec.containers[0].args.join(' ')
    const shard = /--shard "\$JOB_COMPLETION_INDEX\/(\d+)"/.exec(args)
    expect(shard).not.toBeNull()
    expect(Number(shard![1])).toBe(job.spec.completions)
  })

  test('the GitHub Actions matrix runs shards 0..n-1 of n and joins them with --merge-dir', () => {
    const workflow = parse(readFileSync(join(examples, 'github-actions', 'sweep-matrix.yml'), 'utf8'))
    const shards: number[] = workflow.jobs.sweep.strategy.matrix.shard
    const run: string = workflow.jobs.sweep.steps.find((s: {run?: string}) => s.run?.includes('--shard')).run
    const n = Number(/--shard \$\{\{ matrix\.shard \}\}\/(\d+)/.exec(run)![1])
    expect(shards).toEqual(Array.from({length: n}, (_, i) => i))
    const merge: string = workflow.jobs.merge.steps.map((s: {run?: string}) => s.run ?? '').join('\n')
    expect(merge).toContain('--merge-dir')
  })
})

describe('examples/ for real endpoints', () => {
  test('the endpoint Indexed Job shards by completion index over n = completions, all pods at one --start-at, parts merged', () => {
    const job = parse(readFileSync(join(examples, 'k8s-endpoint-replay-indexed-job.yaml'), 'utf8'))
    expect(job.spec.completionMode).toBe('Indexed')
    expect(job.spec.parallelism).toBe(job.spec.completions)
    const container = job.spec.template.spec.containers[0]
    const args: string = container.args.join(' ')
    const shard = /--shard "\$JOB_COMPLETION_INDEX\/(\d+)"/.exec(args)
    expect(Number(shard![1])).toBe(job.spec.completions)
    expect(args).toContain('--start-at "$START_AT"')
    expect(container.env.some((e: {name: string; valueFrom?: unknown}) => e.name === 'VLLM_API_KEY' && e.valueFrom !== undefined)).toBe(true)
  })

  test('the endpoint files are valid', async () => {
    const {readEndpointFile} = await import('../../src/http/endpoint-config.js')
    expect(readEndpointFile(join(examples, 'endpoints', 'vllm.yaml')).ignoreEos).toBe(true)
    expect(readEndpointFile(join(examples, 'endpoints', 'openai.yaml')).maxTokensField).toBe('max_completion_tokens')
  })
})
