import { BOX_TEXT_INSET, headerLayout, layoutStatechart, lineHeight, MARGIN, REENTER_MARK, type Point, type StateBox, type TextLine, type TransitionArrow } from './chart-layout.ts';
import { escapeXml, px } from './markup.ts';
import type { Statechart } from './statechart.ts';
import { SANS_FONT } from './text-metrics.ts';

export interface StatechartSvgOptions {
  /** State paths (`tm.collecting`) drawn as active: their groups get the class `active`. */
  readonly highlight?: readonly string[];
}

/**
 * A statechart as one self-contained SVG: nested rounded boxes for compound states, a dot for each
 * initial state, routed and labelled transitions, entry actions and internal transitions listed in
 * their state's box. Every state is a `<g class="state" data-state="<path>">` (the path from the
 * machine root, `tm.committed.announcing`), so a page can light states up by toggling the class
 * `active`. No ids, no external references, styles scoped under `.unanimous-chart`: several charts
 * can share one page. The same chart always gives the same bytes.
 */
export async function renderStatechartSvg(chart: Statechart, options: StatechartSvgOptions = {}): Promise<string> {
  const layout = await layoutStatechart(chart);
  const active = new Set(options.highlight ?? []);
  const width = Math.ceil(layout.width);
  const height = Math.ceil(layout.height + (layout.reenters ? LEGEND_HEIGHT : 0));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="unanimous-chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(`Statechart of ${chart.id}`)}">`,
    `<title>${escapeXml(`Statechart of ${chart.id}`)}</title>`,
    `<style>${STYLE}</style>`,
    `<rect class="background" width="${width}" height="${height}"/>`,
  ];
  renderState(layout.root, active, out, '');
  out.push('<g class="transitions">');
  for (const transition of layout.transitions) {
    out.push(`  <g class="transition" data-from="${escapeXml(transition.from)}" data-to="${escapeXml(transition.to)}">${arrow(transition.route, 'edge')}</g>`);
  }
  out.push('</g>', '<g class="labels">');
  for (const transition of layout.transitions) out.push(`  ${label(transition)}`);
  out.push('</g>');
  if (layout.reenters) {
    const legend = `${REENTER_MARK} re-enters its state: exit and entry actions run again, its timers restart`;
    out.push(`<text class="legend" x="${MARGIN}" y="${px(layout.height + LEGEND_HEIGHT / 2)}" font-size="10.5">${escapeXml(legend)}</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

const LEGEND_HEIGHT = 16;

const STYLE = [
  `.unanimous-chart{font-family:${SANS_FONT}}`,
  '.unanimous-chart text{white-space:pre;fill:#1e293b}',
  '.unanimous-chart .background{fill:#ffffff}',
  '.unanimous-chart .box{fill:#ffffff;stroke:#64748b;stroke-width:1.2}',
  '.unanimous-chart .compound>.box{fill:#64748b;fill-opacity:0.07;stroke:#94a3b8}',
  '.unanimous-chart .root>.box{fill:#f8fafc;fill-opacity:1;stroke:#cbd5e1}',
  '.unanimous-chart .any-state>.box{fill:#fffbeb;stroke:#d4a73c;stroke-dasharray:4 3}',
  '.unanimous-chart .final>.inner{fill:none;stroke:#64748b;stroke-width:1}',
  '.unanimous-chart .divider{stroke:#cbd5e1;stroke-width:1}',
  '.unanimous-chart .title,.unanimous-chart .name{font-weight:bold;fill:#0f172a}',
  '.unanimous-chart .keyword{font-style:italic;fill:#0369a1}',
  '.unanimous-chart .event{fill:#0f172a}',
  '.unanimous-chart .guard{fill:#7c3aed}',
  '.unanimous-chart .action{fill:#64748b}',
  '.unanimous-chart .edge{fill:none;stroke:#475569;stroke-width:1.3}',
  '.unanimous-chart .arrowhead{fill:#475569}',
  '.unanimous-chart .initial .edge{stroke:#0f172a}',
  '.unanimous-chart .initial .arrowhead,.unanimous-chart .initial circle{fill:#0f172a}',
  '.unanimous-chart .legend{fill:#64748b}',
  '.unanimous-chart .label-bg{fill:#ffffff;fill-opacity:0.88}',
  '.unanimous-chart .state.active>.box{fill:#fff7ed;fill-opacity:1;stroke:#ea580c;stroke-width:2.5}',
  '.unanimous-chart .state.active>text .name{fill:#c2410c}',
].join('');

function renderState(box: StateBox, active: ReadonlySet<string>, out: string[], indent: string): void {
  const radius = box.kind === 'atomic' || box.kind === 'final' || box.kind === 'any' ? 10 : 14;
  if (box.kind === 'any') {
    out.push(`${indent}<g class="any-state">`);
  } else {
    const classes = ['state', box.kind, ...(active.has(box.path) ? ['active'] : [])].join(' ');
    out.push(`${indent}<g class="${classes}" data-state="${escapeXml(box.path)}">`);
  }
  const inner = `${indent}  `;
  out.push(`${inner}<rect class="box" x="${px(box.x)}" y="${px(box.y)}" width="${px(box.width)}" height="${px(box.height)}" rx="${radius}"/>`);
  if (box.kind === 'final') {
    out.push(`${inner}<rect class="inner" x="${px(box.x + 3)}" y="${px(box.y + 3)}" width="${px(box.width - 6)}" height="${px(box.height - 6)}" rx="${radius - 3}"/>`);
  }
  const { baselines, divider } = headerLayout(box);
  // A box holding nothing but its name has it centred; any other has its lines from the top.
  const single = box.lines.length === 1 && box.children.length === 0;
  if (divider !== undefined) {
    const right = box.children.length > 0 ? box.x + box.width : box.x + box.width;
    out.push(`${inner}<line class="divider" x1="${px(box.x)}" y1="${px(divider)}" x2="${px(right)}" y2="${px(divider)}"/>`);
  }
  box.lines.forEach((line, i) => {
    const baseline = single ? box.y + box.height / 2 + line.size * 0.35 : baselines[i]!;
    const x = single ? box.x + box.width / 2 : box.x + BOX_TEXT_INSET + line.indent;
    out.push(`${inner}${text(line, x, baseline, single ? 'middle' : 'start')}`);
  });
  if (box.initial) {
    out.push(`${inner}<g class="initial"><circle cx="${px(box.initial.center.x)}" cy="${px(box.initial.center.y)}" r="5"/>${arrow(box.initial.route, 'edge', 5)}</g>`);
  }
  for (const child of box.children) renderState(child, active, out, inner);
  out.push(`${indent}</g>`);
}

function text(line: TextLine, x: number, baseline: number, anchor: 'start' | 'middle'): string {
  const spans = line.runs.map((run) => `<tspan class="${run.style}">${escapeXml(run.text)}</tspan>`).join('');
  return `<text x="${px(x)}" y="${px(baseline)}" font-size="${line.size}"${anchor === 'middle' ? ' text-anchor="middle"' : ''}>${spans}</text>`;
}

function label(transition: TransitionArrow): string {
  const { x, y, width, height, lines } = transition.label;
  const parts = [`<rect class="label-bg" x="${px(x - 2)}" y="${px(y - 1)}" width="${px(width + 4)}" height="${px(height + 2)}" rx="3"/>`];
  let top = y;
  for (const line of lines) {
    const lineSize = lineHeight(line);
    parts.push(text(line, x + line.indent, top + lineSize * 0.75, 'start'));
    top += lineSize;
  }
  return `<g class="label" data-from="${escapeXml(transition.from)}" data-to="${escapeXml(transition.to)}">${parts.join('')}</g>`;
}

const ARROW_LENGTH = 8;
const ARROW_HALF_WIDTH = 4;
const CORNER = 6;

/**
 * A route as a path with rounded corners, ending in a filled arrowhead (a polygon, not a marker:
 * markers need ids, and ids clash when several charts share a page). `start` trims the route's
 * beginning, so that it leaves an initial dot at its rim.
 */
function arrow(route: readonly Point[], className: string, start = 0): string {
  const points = route.map((point) => ({ ...point }));
  if (points.length < 2) return '';
  trimStart(points, start);
  const end = points[points.length - 1]!;
  const before = points[points.length - 2]!;
  const length = Math.hypot(end.x - before.x, end.y - before.y) || 1;
  const ux = (end.x - before.x) / length;
  const uy = (end.y - before.y) / length;
  // The line stops where the arrowhead starts, so it does not show through the tip.
  const shaftEnd = { x: end.x - ux * ARROW_LENGTH, y: end.y - uy * ARROW_LENGTH };
  points[points.length - 1] = shaftEnd;
  const head = [
    end,
    { x: shaftEnd.x - uy * ARROW_HALF_WIDTH, y: shaftEnd.y + ux * ARROW_HALF_WIDTH },
    { x: shaftEnd.x + uy * ARROW_HALF_WIDTH, y: shaftEnd.y - ux * ARROW_HALF_WIDTH },
  ];
  return `<path class="${className}" d="${roundedPath(points)}"/><polygon class="arrowhead" points="${head.map((p) => `${px(p.x)},${px(p.y)}`).join(' ')}"/>`;
}

function trimStart(points: { x: number; y: number }[], by: number): void {
  if (by === 0) return;
  const [first, second] = [points[0]!, points[1]!];
  const length = Math.hypot(second.x - first.x, second.y - first.y);
  if (length <= by) return;
  first.x += ((second.x - first.x) / length) * by;
  first.y += ((second.y - first.y) / length) * by;
}

/** Straight segments joined by quarter-round corners, each corner at most half its shorter segment. */
function roundedPath(points: readonly Point[]): string {
  const parts = [`M${px(points[0]!.x)} ${px(points[0]!.y)}`];
  for (let i = 1; i < points.length - 1; i++) {
    const [previous, corner, next] = [points[i - 1]!, points[i]!, points[i + 1]!];
    const inLength = Math.hypot(corner.x - previous.x, corner.y - previous.y);
    const outLength = Math.hypot(next.x - corner.x, next.y - corner.y);
    const radius = Math.min(CORNER, inLength / 2, outLength / 2);
    if (radius < 0.5) {
      parts.push(`L${px(corner.x)} ${px(corner.y)}`);
      continue;
    }
    const enter = { x: corner.x - ((corner.x - previous.x) / inLength) * radius, y: corner.y - ((corner.y - previous.y) / inLength) * radius };
    const leave = { x: corner.x + ((next.x - corner.x) / outLength) * radius, y: corner.y + ((next.y - corner.y) / outLength) * radius };
    parts.push(`L${px(enter.x)} ${px(enter.y)}`, `Q${px(corner.x)} ${px(corner.y)} ${px(leave.x)} ${px(leave.y)}`);
  }
  const last = points[points.length - 1]!;
  parts.push(`L${px(last.x)} ${px(last.y)}`);
  return parts.join('');
}
