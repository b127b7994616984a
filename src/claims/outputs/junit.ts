import type {GateReport} from '../gate.js'
import {formatMeasured} from '../gate.js'
import {escapeXml} from './xml-escape.js'

/**
 * JUnit XML in the shape CI systems read (GitHub test reporters, GitLab, Jenkins):
 *   <testsuites name tests failures errors time>
 *     <testsuite name tests failures errors skipped time>
 *       <properties><property name value/>...</properties>
 *       <testcase name classname time>[<failure message type>details</failure>]</testcase>
 * Simulated checks take no wall time, so every `time` is 0.
 */

export interface JunitCase {
  name: string
  classname: string
  /** Set when the case failed. */
  failure?: {message: string; type: string; details?: string}
}

export interface JunitSuite {
  name: string
  properties?: Record<string, string>
  cases: JunitCase[]
}

export function formatJunit(suites: readonly JunitSuite[], name = 'tracebench'): string {
  const total = suites.reduce((n, s) => n + s.cases.length, 0)
  const failures = suites.reduce((n, s) => n + s.cases.filter((c) => c.failure !== undefined).length, 0)
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>']
  lines.push(`<testsuites name="${escapeXml(name)}" tests="${total}" failures="${failures}" errors="0" time="0">`)
  for (const suite of suites) {
    const suiteFailures = suite.cases.filter((c) => c.failure !== undefined).length
    lines.push(
      `  <testsuite name="${escapeXml(suite.name)}" tests="${suite.cases.length}" failures="${suiteFailures}" errors="0" skipped="0" time="0">`,
    )
    const properties = Object.entries(suite.properties ?? {})
    if (properties.length > 0) {
      lines.push('    <properties>')
      for (const [key, value] of properties) lines.push(`      <property name="${escapeXml(key)}" value="${escapeXml(value)}"/>`)
      lines.push('    </properties>')
    }
    for (const testCase of suite.cases) {
      const open = `    <testcase name="${escapeXml(testCase.name)}" classname="${escapeXml(testCase.classname)}" time="0"`
      if (testCase.failure === undefined) {
        lines.push(`${open}/>`)
        continue
      }
      const f = testCase.failure
      lines.push(`${open}>`)
      lines.push(`      <failure message="${escapeXml(f.message)}" type="${escapeXml(f.type)}">${escapeXml(f.details ?? f.message)}</failure>`)
      lines.push('    </testcase>')
    }
    lines.push('  </testsuite>')
  }
  lines.push('</testsuites>')
  return `${lines.join('\n')}\n`
}

/** One test case per gate check; the suite is named after the results file. */
export function gateToJunit(report: GateReport): string {
  const properties: Record<string, string> = {
    results: report.results.path,
    trace: report.results.trace,
    backend: report.results.backend,
    model: report.results.model,
    rateScale: String(report.results.rateScale),
    seed: String(report.results.seed),
  }
  if (report.baseline !== null) properties.baseline = report.baseline.path
  const cases: JunitCase[] = report.checks.map((check) => {
    const testCase: JunitCase = {name: check.name, classname: `tracebench.gate.${check.kind === 'threshold' ? 'thresholds' : check.kind === 'harness' ? 'harness' : 'regressions'}`}
    if (!check.passed) {
      const measured = `measured ${formatMeasured(check.actual, check.unit)}, limit ${check.limit}`
      const baseline = check.baseline === undefined ? '' : `, baseline ${formatMeasured(check.baseline, check.unit)}`
      testCase.failure = {message: check.reason ?? 'failed', type: check.kind, details: `${check.reason ?? 'failed'}\n${measured}${baseline}`}
    }
    return testCase
  })
  return formatJunit([{name: `tracebench gate: ${report.results.path}`, properties, cases}], 'tracebench gate')
}
