// `@runlog/web/log`: the log viewer's reusable pieces (PROTOCOL §Log lines) — lines by number
// with a bounded cache, a terminal line as safe DOM, and fixed-height virtual rows. Browser
// ESM, no Node APIs; the dashboard's log panel is built from these.
export { LogLines, LogLinesDefaults, toLogLineEntry, type LogLineEntry, type LogLinesOptions, type LogSearchResult } from './log-lines.js';
export { renderTerminalLine, safeHref, RenderLineDefaults, type RenderLineOptions } from './ansi-dom.js';
export { VirtualRows, VirtualRowsDefaults, type ScrollAlign, type VirtualRowsOptions } from './virtual-rows.js';
export { parseTerminalLine, stripAnsi, visibleText, type AnsiRun, type TerminalLine } from '../protocol/ansi-text.js';
export { ansiColorHex, type AnsiStyle } from '../protocol/ansi-style.js';
export { logLineOf, type LogLineData } from '../protocol/log-line.js';
export type { LogSection, LogsState } from '../protocol/build-state.js';
