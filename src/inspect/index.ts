/**
 * The inspect layer's surface (the CLI imports it from here): statecharts of machines in DOT,
 * Mermaid and SVG; traces as text, tables, Mermaid, HTML and JSON; and the explorer.
 */
export { statechartOf } from './statechart.ts';
export { statechartToDot } from './dot.ts';
export { statechartToMermaid } from './mermaid.ts';
export { renderStatechartSvg } from './svg.ts';
export { traceToText } from './trace-text.ts';
export { traceTable, traceTableToText } from './trace-table.ts';
export { traceToMermaid } from './trace-mermaid.ts';
export { traceToHtml } from './trace-html.ts';
export { type FoundTrace, TraceJsonError, tracesIn } from './trace-json.ts';
export { type ExplorerServer, startExplorerServer } from './explorer/explorer-server.ts';
export { ExplorerSession } from './explorer/explorer-session.ts';
export { type Replay, replayTrace } from './explorer/replay.ts';
export { isStepTrace, readRecordedDocument } from './explorer/recorded-document.ts';
export { readTraceDocument, TraceDocumentError } from './explorer/trace-document.ts';
