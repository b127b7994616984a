import {html, type SafeHtml} from './escape.js'
import type {ReportColumn, ReportTable} from './report-section.js'

/** An HTML table; every cell and caption is escaped. */
export function renderTable(table: ReportTable, className = 'numbers'): SafeHtml {
  const classOf = (c: ReportColumn | undefined): string | null => (c?.numeric === true ? 'num' : c?.code === true ? 'cmd' : null)
  const head = table.columns.map((c) => html`<th scope="col"${classOf(c) === 'num' ? html` class="num"` : ''}>${c.label}</th>`)
  const body = table.rows.map(
    (row) =>
      html`<tr>${row.map((cell, i) => {
        const cls = classOf(table.columns[i])
        return cls === null ? html`<td>${cell}</td>` : html`<td class="${cls}">${cell}</td>`
      })}</tr>`,
  )
  return html`<table class="${className}">${table.caption !== undefined ? html`<caption>${table.caption}</caption>` : ''}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`
}
