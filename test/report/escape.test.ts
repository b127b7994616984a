import {describe, expect, it} from 'vitest'
import {assertInlineableScript, escapeHtml, html, serializeJsonForScript, trustedHtml} from '../../src/report/escape.js'
import {formatCommandLine} from '../../src/report/provenance.js'
import {hostileMarkup} from './report-fixtures.js'

describe('escapeHtml', () => {
  it('escapes every character that can open a tag, end an attribute or start an entity', () => {
    expect(escapeHtml(`<a href="x" title='y'>&\`</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;')
    expect(escapeHtml(hostileMarkup)).not.toMatch(/[<>"']/)
  })

  it('prints numbers and other values as text', () => {
    expect(escapeHtml(3.5)).toBe('3.5')
    expect(escapeHtml(null)).toBe('null')
  })
})

describe('the html template tag', () => {
  it('escapes interpolated text, including inside arrays, but not SafeHtml', () => {
    const name = hostileMarkup
    const out = html`<p title="${name}">${name}${[name, html`<b>${name}</b>`]}${trustedHtml('<i>ok</i>')}</p>`.value
    expect(out).not.toContain('<script')
    expect(out).not.toContain('<img')
    expect(out.match(/<b>/g)).toHaveLength(1)
    expect(out).toContain('<i>ok</i>')
    expect(out).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;&quot;&gt;&lt;img')
  })

  it('prints nothing for null, undefined and false', () => {
    expect(html`a${null}b${undefined}c${false}d`.value).toBe('abcd')
  })
})

describe('serializeJsonForScript', () => {
  const value = {name: hostileMarkup, comment: '<!-- x -->', close: '</script><script>alert(1)</script>', amp: 'a & b', ls: 'a\u2028b\u2029c', n: [1, 2.5, null]}

  it('cannot end the script element or open a comment, and escapes U+2028/U+2029', () => {
    const json = serializeJsonForScript(value)
    expect(json).not.toMatch(/[<>&\u2028\u2029]/)
    expect(json.toLowerCase()).not.toContain('</script')
    expect(json).toContain('\\u003c/script\\u003e')
    expect(json).toContain('\\u2028')
  })

  it('still parses back to the same value', () => {
    expect(JSON.parse(serializeJsonForScript(value))).toEqual(value)
  })
})

describe('assertInlineableScript', () => {
  it('refuses library code that would end or confuse the script element', () => {
    expect(() => assertInlineableScript('var a = "</SCRIPT>"', 'lib.js')).toThrow(/lib\.js contains/)
    expect(() => assertInlineableScript('var a = "<!--"', 'lib.js')).toThrow(/cannot be inlined/)
    expect(() => assertInlineableScript('var a = 1 < 2', 'lib.js')).not.toThrow()
  })
})

describe('formatCommandLine', () => {
  it('quotes arguments a shell would split or interpret', () => {
    expect(formatCommandLine('tracebench', ['replay', 'a b.jsonl', '--slo', 'ttft.p90<=2s', "it's"])).toBe(`tracebench replay 'a b.jsonl' --slo 'ttft.p90<=2s' 'it'\\''s'`)
    expect(formatCommandLine('tracebench', ['report', 'runs/x.json', '--out', 'reports/a.html'])).toBe('tracebench report runs/x.json --out reports/a.html')
  })
})
