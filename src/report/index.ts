/** The report stage's public API: build or write a report, load its inputs from files, render SVGs. */
export {buildChartSections, buildReport, renderReport, writeReport} from './build-report.js'
export {collectReportInputs, describeCapacity, readSweep, validateClaimsReport, type CollectedInputs, type CollectedSource} from './collect-inputs.js'
export type {ReportCapacity, ReportClaims, ReportInputs, ReportRun, ReportSweep} from './report-inputs.js'
export type {ChartSection, ReportTable} from './report-section.js'
export {renderChartSvg, writeChartSvgs} from './svg.js'
