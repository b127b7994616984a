/**
 * End-to-end: a generated report opened from file:// in headless Chromium (Debian's
 * `chromium`, driven by playwright-core). Runs when a browser is found at /usr/bin/chromium
 * or $CHROMIUM_PATH and says plainly that it skipped otherwise; with
 * TRACEBENCH_REQUIRE_BROWSER=1 (set by .ci/run, which installs Chromium) a missing browser
 * fails instead.
 */
import {existsSync} from 'node:fs'
import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {chromium, type Browser, type Page} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {buildReport} from '../../src/report/build-report.js'
import {readResultsFile} from '../../src/metrics/results-file.js'
import {craftFullInputs, craftHostileResults, hostileMarkup} from './report-fixtures.js'

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const browserFound = existsSync(chromiumPath)
const browserRequired = process.env.TRACEBENCH_REQUIRE_BROWSER === '1'
const outDir = resolve('test-output/report-e2e')

if (!browserFound) {
  const message = `report browser test: Chromium not found at ${chromiumPath} (set CHROMIUM_PATH or install Debian's chromium)`
  console.warn(browserRequired ? `${message}; TRACEBENCH_REQUIRE_BROWSER=1, so this is a failure` : `SKIPPED ${message}`)
}

interface PageLog {
  requests: string[]
  /** `url errorText` of requests that failed (Chromium's text for a CSP block is `csp`). */
  failedRequests: string[]
  consoleErrors: string[]
  pageErrors: string[]
}

async function openReport(browser: Browser, file: string, width = 1440): Promise<{page: Page; log: PageLog; url: string}> {
  const page = await browser.newPage({viewport: {width, height: 900}, acceptDownloads: true})
  const log: PageLog = {requests: [], failedRequests: [], consoleErrors: [], pageErrors: []}
  page.on('request', (request) => log.requests.push(request.url()))
  page.on('requestfailed', (request) => log.failedRequests.push(`${request.url()} ${request.failure()?.errorText ?? ''}`))
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') log.consoleErrors.push(`${message.type()}: ${message.text()}`)
  })
  page.on('pageerror', (error) => log.pageErrors.push(error.message))
  // Record CSP violations too: a blocked eval or fetch must fail the test, not pass silently.
  await page.addInitScript(() => {
    const w = window as unknown as {__csp: string[]}
    w.__csp = []
    document.addEventListener('securitypolicyviolation', (event) => w.__csp.push(`${event.violatedDirective} ${event.blockedURI}`))
  })
  const url = pathToFileURL(file).href
  await page.goto(url)
  await page.waitForFunction(() => (window as unknown as {__tracebenchReport?: {done: boolean}}).__tracebenchReport?.done === true, undefined, {timeout: 30_000})
  return {page, log, url}
}

describe('HTML report in headless Chromium', () => {
  it.runIf(!browserFound && browserRequired)('finds Chromium (TRACEBENCH_REQUIRE_BROWSER=1)', () => {
    expect.fail(`Chromium not found at ${chromiumPath}; install it (apt-get install chromium) or set CHROMIUM_PATH`)
  })

  describe.skipIf(!browserFound)('with Chromium', () => {
    let browser: Browser
    let reportFile: string
    let hostileFile: string
    let emptyFile: string

    beforeAll(async () => {
      await mkdir(outDir, {recursive: true})
      reportFile = join(outDir, 'report.html')
      await writeFile(reportFile, await buildReport(craftFullInputs()))
      const hostile = craftFullInputs()
      hostile.title = `hostile ${hostileMarkup}`
      hostile.runs = [...(hostile.runs ?? []), {results: craftHostileResults(), path: `runs/${hostileMarkup}.json`}]
      for (const claim of hostile.claims?.report.claims ?? []) {
        claim.claim = `${claim.claim} ${hostileMarkup}`
        claim.id = `${claim.id}${hostileMarkup}`
      }
      hostileFile = join(outDir, 'hostile.html')
      await writeFile(hostileFile, await buildReport(hostile))
      emptyFile = join(outDir, 'empty.html')
      await writeFile(emptyFile, await buildReport({runs: [{results: await readResultsFile('test/fixtures/results/empty.json'), path: 'empty.json'}]}))
      browser = await chromium.launch({
        executablePath: chromiumPath,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      })
    })

    afterAll(async () => {
      await browser?.close()
    })

    it('draws every chart with marks, logs no error and makes no request', async () => {
      const {page, log, url} = await openReport(browser, reportFile)
      const state = await page.evaluate(() => (window as unknown as {__tracebenchReport: {total: number; rendered: number; failed: string[]}}).__tracebenchReport)
      expect(state.failed).toEqual([])
      expect(state.rendered).toBe(state.total)

      const chartIds = await page.$$eval('section.chart[data-chart]', (els) => els.map((e) => e.getAttribute('data-chart')))
      expect(await page.$$eval('[data-omitted]', (els) => els.length)).toBe(0)
      expect(chartIds.sort()).toEqual(['capacity-footprint', 'capacity-search', 'claims', 'crossover', 'interactivity', 'kv-bandwidth', 'latency', 'throughput-load', 'timeline'])
      expect(state.total).toBe(chartIds.length)
      for (const id of chartIds) {
        // Data marks only (role-mark), not axes or legends: each chart must have drawn its data.
        const marks = await page.$$eval(`#vis-${id} svg g.role-mark > *`, (els) => els.length)
        expect(marks, `marks drawn in chart ${id}`).toBeGreaterThan(0)
      }
      // The latency chart has one line per run and metric: 3 metrics x (1 run + 2 sweep backends).
      expect(await page.$$eval('#vis-latency svg g.mark-line.role-mark path', (els) => els.length)).toBe(9)
      // One capacity rule per swept backend that met its SLOs somewhere.
      expect(await page.$$eval('#vis-throughput-load svg g.mark-rule.role-mark line', (els) => els.length)).toBeGreaterThanOrEqual(1)

      expect(log.pageErrors).toEqual([])
      expect(log.consoleErrors).toEqual([])
      expect(await page.evaluate(() => (window as unknown as {__csp: string[]}).__csp)).toEqual([])
      expect(log.requests).toEqual([url])

      // A tooltip appears on hover (vega-tooltip, offline).
      const point = page.locator('#vis-interactivity svg g.mark-symbol.role-mark path').first()
      await point.hover({force: true})
      await page.waitForSelector('#vg-tooltip-element.visible', {timeout: 5_000})
      expect(await page.textContent('#vg-tooltip-element')).toContain('system tok/s')

      await page.screenshot({path: join(outDir, 'report.png'), fullPage: true})
      await page.close()
    })

    it('fits a 1400-pixel page: no table or chart needs a horizontal scroll', async () => {
      const {page} = await openReport(browser, reportFile, 1400)
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1400)
      // Scroll containers (tables beside charts, the provenance) show all of their content.
      const overflowing = await page.$$eval('.side, .scroll, .vis', (els) =>
        els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => `${e.closest('section')?.id ?? '?'} .${e.className}: ${e.scrollWidth} > ${e.clientWidth}`),
      )
      expect(overflowing).toEqual([])
      await page.close()
    })

    it('shows verdicts in words with their reasons, without hovering', async () => {
      const {page} = await openReport(browser, reportFile)
      const chips = await page.$$eval('#verdicts .chip', (els) => els.map((e) => e.textContent ?? ''))
      expect(chips.some((c) => c.includes('✗ not supported'))).toBe(true)
      expect(chips.some((c) => c.includes('✓ supported'))).toBe(true)
      const why = page.locator('#verdicts ul.why li').first()
      expect(await why.isVisible()).toBe(true)
      expect(await why.textContent()).toMatch(/^\S+: \S/)
      // The claims section's reasons are open on the page.
      expect(await page.$eval('#sec-claims .side details', (d) => (d as HTMLDetailsElement).open)).toBe(true)
      await page.close()
    })

    it('switches the replay timeline to another run from its menu', async () => {
      const {page} = await openReport(browser, reportFile)
      const select = page.locator('#vis-timeline select')
      const options = await select.locator('option').allTextContents()
      expect(options.length).toBeGreaterThan(1)
      const drawn = () => page.$eval('#vis-timeline svg', (svg) => [...svg.querySelectorAll('g.role-mark path')].map((p) => p.getAttribute('d')).join('|'))
      const before = await drawn()
      await select.selectOption(options[options.length - 1] as string)
      await page.waitForFunction((old) => [...document.querySelectorAll('#vis-timeline svg g.role-mark path')].map((p) => p.getAttribute('d')).join('|') !== old, before, {timeout: 5_000})
      expect(await drawn()).not.toBe(before)
      await page.close()
    })

    it('offers only offline export actions, and they work under the CSP', async () => {
      const {page, log, url} = await openReport(browser, reportFile)
      const vis = '#vis-interactivity'
      expect(await page.$$eval(`${vis} .vega-actions a`, (els) => els.map((e) => e.textContent))).toEqual(['Save as SVG', 'Save as PNG'])
      for (const [label, file] of [
        ['Save as SVG', 'interactivity.svg'],
        ['Save as PNG', 'interactivity.png'],
      ] as const) {
        if (!(await page.$eval(`${vis} details`, (d) => (d as HTMLDetailsElement).open))) await page.locator(`${vis} details summary`).click()
        const [download] = await Promise.all([page.waitForEvent('download', {timeout: 10_000}), page.locator(`${vis} .vega-actions a:has-text("${label}")`).click()])
        expect(download.suggestedFilename()).toBe(file)
        expect(await download.failure()).toBeNull()
      }
      expect(log.consoleErrors).toEqual([])
      expect(await page.evaluate(() => (window as unknown as {__csp: string[]}).__csp)).toEqual([])
      expect(log.requests.filter((r) => r !== url && !r.startsWith('blob:') && !r.startsWith('data:'))).toEqual([])
      await page.close()
    })

    it('runs no script injected through trace, backend, model, claim or command fields', async () => {
      const {page, log, url} = await openReport(browser, hostileFile)
      const state = await page.evaluate(() => (window as unknown as {__tracebenchReport: {total: number; rendered: number; failed: string[]}}).__tracebenchReport)
      expect(state.failed).toEqual([])
      expect(state.rendered).toBe(state.total)
      expect(await page.evaluate(() => (window as unknown as {__pwned?: unknown}).__pwned)).toBeUndefined()
      expect(await page.$$eval('img', (els) => els.length)).toBe(0)
      // Only our own script elements exist: three libraries, the chart data and the bootstrap.
      expect(await page.$$eval('script', (els) => els.length)).toBe(5)
      // The hostile names are shown as text: in the title, provenance, verdicts and chart legends.
      expect(await page.title()).toBe(`hostile ${hostileMarkup}`)
      const provenance = await page.textContent('#provenance')
      expect(provenance).toContain(`evil ${hostileMarkup}`)
      expect(provenance).toContain(`model ${hostileMarkup}`)
      expect(provenance).toContain('window.__pwned=3')
      expect(await page.textContent('#verdicts')).toContain(hostileMarkup)
      expect(await page.textContent('#vis-interactivity')).toContain('evil <script>')
      expect(log.pageErrors).toEqual([])
      expect(log.consoleErrors).toEqual([])
      expect(await page.evaluate(() => (window as unknown as {__csp: string[]}).__csp)).toEqual([])
      expect(log.requests).toEqual([url])
      await page.screenshot({path: join(outDir, 'hostile.png'), fullPage: true})
      await page.close()
    })

    it('blocks markup that escaped escaping: the CSP stops injected scripts, handlers and network loads', async () => {
      // Simulate an escaping bug: splice raw markup into a generated report.
      const page0 = await readFile(reportFile, 'utf8')
      const injected = page0.replace(
        '</main>',
        '<script>window.__pwned=9</script><img src="https://example.invalid/x.png" onerror="window.__pwned=10"><img src=x onerror="window.__pwned=11"></main>',
      )
      const file = join(outDir, 'injected.html')
      await writeFile(file, injected)
      const {page, log, url} = await openReport(browser, file)
      expect(await page.evaluate(() => (window as unknown as {__pwned?: unknown}).__pwned)).toBeUndefined()
      const violations = await page.evaluate(() => (window as unknown as {__csp: string[]}).__csp)
      expect(violations.some((v) => v.startsWith('script-src'))).toBe(true)
      expect(violations.some((v) => v.startsWith('img-src') && v.includes('example.invalid'))).toBe(true)
      // Chromium reports the attempt, and CSP stops it before it reaches the network.
      const outgoing = log.requests.filter((r) => r !== url && !r.startsWith('file:'))
      expect(outgoing).toEqual(['https://example.invalid/x.png'])
      expect(log.failedRequests).toContain('https://example.invalid/x.png csp')
      // The charts still render: the policy does not get in vega's way.
      const state = await page.evaluate(() => (window as unknown as {__tracebenchReport: {total: number; rendered: number}}).__tracebenchReport)
      expect(state.rendered).toBe(state.total)
      await page.close()
    })

    it('omits charts without data with a note, and still logs no error', async () => {
      const {page, log, url} = await openReport(browser, emptyFile)
      const omitted = await page.$$eval('#not-drawn [data-omitted] .omitted-note', (els) => els.map((e) => e.textContent ?? ''))
      expect(omitted.length).toBe(6)
      for (const note of omitted) expect(note).toMatch(/^Not drawn: /)
      expect(await page.$$eval('.vis', (els) => els.length)).toBe(0)
      expect(log.consoleErrors).toEqual([])
      expect(log.pageErrors).toEqual([])
      expect(log.requests).toEqual([url])
      await page.screenshot({path: join(outDir, 'empty.png'), fullPage: true})
      await page.close()
    })

    it('writes the screenshot into the test output', async () => {
      const png = await readFile(join(outDir, 'report.png'))
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG')
    })
  })
})
