/**
 * A small, strict XML 1.0 parser for tests (no DTDs, no processing instructions other
 * than the declaration): it throws on any well-formedness error (unclosed or mismatched
 * tags, duplicate attributes, unescaped `<` or `&`, unknown entities, text outside the
 * root) and returns the element tree. Written here rather than installed so the tests
 * depend on no XML package.
 */
export interface XmlElement {
  name: string
  attributes: Record<string, string>
  children: XmlElement[]
  text: string
}

const nameStart = '[A-Za-z_:]'
const nameChar = '[A-Za-z0-9_:.-]'
const namePattern = new RegExp(`^${nameStart}${nameChar}*`)

export function parseXml(input: string): XmlElement {
  let pos = 0
  const fail = (message: string): never => {
    const line = input.slice(0, pos).split('\n').length
    throw new Error(`XML line ${line}: ${message}`)
  }
  const decode = (raw: string): string => {
    if (/[<]/.test(raw)) fail(`unescaped "<" in ${JSON.stringify(raw)}`)
    return raw.replace(/&([^;]*);?/g, (match, entity: string) => {
      if (!match.endsWith(';')) fail(`unescaped "&" in ${JSON.stringify(raw)}`)
      switch (entity) {
        case 'amp':
          return '&'
        case 'lt':
          return '<'
        case 'gt':
          return '>'
        case 'quot':
          return '"'
        case 'apos':
          return "'"
      }
      const num = /^#(x[0-9A-Fa-f]+|[0-9]+)$/.exec(entity)
      if (num === null) return fail(`unknown entity &${entity};`)
      const code = num[1]!.startsWith('x') ? Number.parseInt(num[1]!.slice(1), 16) : Number(num[1])
      return String.fromCodePoint(code)
    })
  }
  const checkChars = (text: string): void => {
    if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(text)) fail('character not allowed in XML')
  }
  const skipWs = (): void => {
    while (pos < input.length && /\s/.test(input[pos]!)) pos++
  }
  const readName = (): string => {
    const m = namePattern.exec(input.slice(pos))
    if (m === null) return fail(`expected a name at ${JSON.stringify(input.slice(pos, pos + 20))}`)
    pos += m[0].length
    return m[0]
  }
  checkChars(input)
  if (input.startsWith('<?xml')) {
    const end = input.indexOf('?>')
    if (end === -1) fail('unterminated XML declaration')
    pos = end + 2
  }
  skipWs()
  const parseElement = (): XmlElement => {
    if (input[pos] !== '<') fail('expected "<"')
    pos++
    const name = readName()
    const attributes: Record<string, string> = {}
    for (;;) {
      const before = pos
      skipWs()
      if (input.startsWith('/>', pos)) {
        pos += 2
        return {name, attributes, children: [], text: ''}
      }
      if (input[pos] === '>') {
        pos++
        break
      }
      if (pos === before) fail(`expected whitespace before an attribute in <${name}>`)
      const attr = readName()
      skipWs()
      if (input[pos] !== '=') fail(`expected "=" after ${attr}`)
      pos++
      skipWs()
      const quote = input[pos]
      if (quote !== '"' && quote !== "'") fail(`attribute ${attr} value must be quoted`)
      const end = input.indexOf(quote as string, pos + 1)
      if (end === -1) fail(`unterminated attribute ${attr}`)
      if (attr in attributes) fail(`duplicate attribute ${attr} in <${name}>`)
      attributes[attr] = decode(input.slice(pos + 1, end))
      pos = end + 1
    }
    const children: XmlElement[] = []
    let text = ''
    for (;;) {
      if (pos >= input.length) fail(`<${name}> is not closed`)
      if (input.startsWith('</', pos)) {
        pos += 2
        const closing = readName()
        if (closing !== name) fail(`</${closing}> closes <${name}>`)
        skipWs()
        if (input[pos] !== '>') fail(`expected ">" after </${closing}`)
        pos++
        return {name, attributes, children, text}
      }
      if (input.startsWith('<!--', pos)) {
        const end = input.indexOf('-->', pos)
        if (end === -1) fail('unterminated comment')
        pos = end + 3
        continue
      }
      if (input[pos] === '<') {
        children.push(parseElement())
        continue
      }
      const next = input.indexOf('<', pos)
      const end = next === -1 ? input.length : next
      text += decode(input.slice(pos, end))
      pos = end
    }
  }
  const root = parseElement()
  skipWs()
  if (pos !== input.length) fail('content after the root element')
  return root
}
