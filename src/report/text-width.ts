/**
 * Text widths for headless rendering. Without a canvas, vega estimates a string as
 * 0.8 x fontSize per character, about 50% wider than real sans-serif text, so axis titles
 * and legends claim space they do not use and static SVGs get wide empty margins. These
 * are Helvetica's advance widths (its AFM metrics, in 1/1000 em; Arial's match) for
 * printable ASCII, which is close to the sans-serif fonts a reader's viewer will use.
 */
const helveticaWidths = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space ! " # $ % & ' ( ) * + , - . /
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0-9
  278, 278, 584, 584, 584, 556, 1015, // : ; < = > ? @
  667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // A-Z
  278, 278, 278, 469, 556, 333, // [ \ ] ^ _ `
  556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // a-z
  334, 260, 334, 584, // { | } ~
]

/** Width of other characters (accents, symbols, CJK), in em: a generous average. */
const otherCharEm = 0.62
/** Bold text is about 8% wider. */
const boldFactor = 1.08
/** Common Linux fonts (DejaVu Sans) run wider than Helvetica: err on the side of room. */
const safetyFactor = 1.08

/** Width in pixels of `text` at `fontSize` px. */
export function estimateTextWidthPx(text: string, fontSize: number, bold = false): number {
  let units = 0
  for (const ch of text) {
    const code = ch.codePointAt(0) as number
    units += code >= 32 && code <= 126 ? (helveticaWidths[code - 32] as number) : otherCharEm * 1000
  }
  return (units / 1000) * fontSize * (bold ? boldFactor : 1) * safetyFactor
}

interface TextItem {
  text?: unknown
  fontSize?: number
  fontWeight?: string | number
  limit?: number
}

/** A `textMetrics.width` replacement for vega (the same signature as vega's own estimator). */
export function measureVegaText(item: TextItem, text?: unknown): number {
  const value = text === undefined || text === null ? '' : String(text).trim()
  const fontSize = item.fontSize !== undefined && item.fontSize !== null ? Number(item.fontSize) || 0 : 11
  const weight = item.fontWeight
  const bold = weight === 'bold' || (typeof weight === 'number' && weight >= 600) || (typeof weight === 'string' && Number(weight) >= 600)
  return estimateTextWidthPx(value, fontSize, bold)
}
