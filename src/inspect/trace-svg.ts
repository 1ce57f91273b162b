import type { Trace } from '../checker/index.ts';
import { escapeXml, px } from './markup.ts';
import { LOST_MARK, participantsOf, sequenceOf, type NoteTone, type SequenceItem } from './trace-sequence.ts';
import { SANS_FONT, textWidth } from './text-metrics.ts';

// Sizes, in pixels.
const MARGIN = 16;
/** The column left of the first lifeline that holds the step numbers. */
const GUTTER = 36;
const HEAD_HEIGHT = 30;
const LABEL_SIZE = 12;
const NOTE_SIZE = 11.5;
const LINE_HEIGHT = 1.35;
const NOTE_PADDING_X = 8;
const NOTE_PADDING_Y = 5;
const NOTE_MAX_WIDTH = 220;
const MIN_LANE_GAP = 140;
const ROW_GAP = 8;
const ARROW_LENGTH = 8;

interface PlacedNote {
  readonly item: Extract<SequenceItem, { kind: 'note' }>;
  readonly lines: readonly string[];
  readonly width: number;
  readonly height: number;
}

type Row =
  | { readonly kind: 'message'; readonly step: number; readonly item: Extract<SequenceItem, { kind: 'message' }>; readonly width: number }
  | { readonly kind: 'notes'; readonly step: number; readonly notes: readonly PlacedNote[] };

/**
 * A counterexample as a sequence diagram in one self-contained SVG, laid out here (no Mermaid, no
 * script): a lifeline per node, each delivered message an arrow, notes for timers, crashes,
 * restarts, spontaneous events and changes of state (the changes of one step side by side), a
 * dotted lifeline while a node is down, and the violated property at the bottom. Each step is a
 * `<g class="step" id="step-N">`, for links from a page.
 */
export function traceToSequenceSvg(trace: Trace, message?: string): string {
  const nodes = participantsOf(trace);
  const lane = new Map(nodes.map((id, i) => [id, i]));
  const rows = rowsOf(sequenceOf(trace, message, { emoji: false }));

  // Lane gaps: wide enough for every label between two lifelines and for notes side by side.
  const gaps = nodes.slice(1).map(() => MIN_LANE_GAP);
  const need = (from: number, to: number, width: number) => {
    const [a, b] = from < to ? [from, to] : [to, from];
    if (a === b) return;
    const have = gaps.slice(a, b).reduce((sum, gap) => sum + gap, 0);
    if (have < width) for (let i = a; i < b; i++) gaps[i]! += (width - have) / (b - a);
  };
  const halfHeads = nodes.map((id) => (textWidth(id, 13, 'bold') + 24) / 2);
  nodes.slice(1).forEach((_, i) => need(i, i + 1, halfHeads[i]! + halfHeads[i + 1]! + 16));
  let leftReach = halfHeads[0]!;
  let rightReach = halfHeads[nodes.length - 1]!;
  for (const row of rows) {
    if (row.kind === 'message') {
      const [from, to] = [lane.get(row.item.from)!, lane.get(row.item.to)!];
      if (from !== to) need(from, to, row.width + 24);
      else if (from < nodes.length - 1) need(from, from + 1, row.width + 40 + halfHeads[from + 1]!);
      else rightReach = Math.max(rightReach, row.width + 40);
      continue;
    }
    const single = row.notes.filter((note) => note.item.over.length === 1).sort((a, b) => lane.get(a.item.over[0]!)! - lane.get(b.item.over[0]!)!);
    single.slice(1).forEach((note, i) => need(lane.get(single[i]!.item.over[0]!)!, lane.get(note.item.over[0]!)!, single[i]!.width / 2 + note.width / 2 + 10));
    for (const note of row.notes) {
      const first = lane.get(note.item.over[0]!)!;
      const last = lane.get(note.item.over[note.item.over.length - 1]!)!;
      if (first === 0) leftReach = Math.max(leftReach, note.item.over.length === 1 ? note.width / 2 : 0);
      if (last === nodes.length - 1) rightReach = Math.max(rightReach, note.item.over.length === 1 ? note.width / 2 : 0);
    }
  }
  const xs = [MARGIN + GUTTER + leftReach];
  gaps.forEach((gap, i) => xs.push(xs[i]! + gap));
  const spanOf = (note: PlacedNote) => {
    const first = xs[lane.get(note.item.over[0]!)!]!;
    const last = xs[lane.get(note.item.over[note.item.over.length - 1]!)!]!;
    const width = Math.max(note.width, last - first + 40);
    return { x: (first + last) / 2 - width / 2, width };
  };
  const spanning = rows.flatMap((row) => (row.kind === 'notes' ? row.notes.filter((note) => note.item.over.length > 1) : []));
  const right = Math.max(xs[xs.length - 1]! + rightReach, ...spanning.map((note) => spanOf(note).x + spanOf(note).width));
  const width = Math.ceil(right + MARGIN);

  // Rows top to bottom; a step's rows share one band.
  const body: string[] = [];
  const crashedAfter = crashedAfterEachStep(trace, nodes);
  const top = MARGIN + HEAD_HEIGHT + 12;
  let y = top;
  const bands: { step: number; from: number; to: number }[] = [];
  const steps = new Map<number, Row[]>();
  for (const row of rows) steps.set(row.step, [...(steps.get(row.step) ?? []), row]);
  for (const [step, stepRows] of steps) {
    const from = y;
    const parts: string[] = [];
    for (const row of stepRows) {
      if (row.kind === 'message') {
        const labelY = y + LABEL_SIZE;
        const lineY = labelY + 8;
        parts.push(messageArrow(row, xs[lane.get(row.item.from)!]!, xs[lane.get(row.item.to)!]!, labelY, lineY));
        y = lineY + ROW_GAP + 4;
      } else {
        const height = Math.max(...row.notes.map((note) => note.height));
        for (const note of row.notes) {
          const first = xs[lane.get(note.item.over[0]!)!]!;
          const span = note.item.over.length > 1 ? spanOf(note) : { x: first - note.width / 2, width: note.width };
          parts.push(noteBox(note, span.x, y, span.width));
        }
        y += height + ROW_GAP;
      }
    }
    const isViolation = stepRows.some((row) => row.kind === 'notes' && row.notes.some((note) => note.item.tone === 'violation'));
    const label = isViolation ? '' : `<text class="step-number" x="${px(MARGIN + GUTTER - 10)}" y="${px(from + 14)}" text-anchor="end">${step}</text>`;
    body.push(`<g class="step${isViolation ? ' verdict' : ''}"${isViolation ? '' : ` id="step-${step}"`}>${label}${parts.join('')}</g>`);
    if (!isViolation) bands.push({ step, from: from - ROW_GAP / 2, to: y - ROW_GAP / 2 });
    y += 4;
  }
  const bottom = y + 4;
  const height = Math.ceil(bottom + HEAD_HEIGHT + MARGIN);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="unanimous-trace" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeXml(`Counterexample to ${trace.property}`)}">`,
    `<title>${escapeXml(`Counterexample to ${trace.property}: ${trace.steps.length} steps`)}</title>`,
    `<style>${STYLE}</style>`,
    `<rect class="background" width="${width}" height="${height}"/>`,
  ];
  // Step bands shaded in turn, then lifelines (dotted while a node is down), then the rows.
  bands.forEach((band, i) => {
    if (i % 2 === 1) out.push(`<rect class="band" x="${MARGIN}" y="${px(band.from)}" width="${px(width - 2 * MARGIN)}" height="${px(band.to - band.from)}"/>`);
  });
  nodes.forEach((id, i) => {
    const x = px(xs[i]!);
    let segmentStart = top - 12;
    let down = false;
    const segments: string[] = [];
    const close = (end: number) => segments.push(`<line class="lifeline${down ? ' down' : ''}" x1="${x}" y1="${px(segmentStart)}" x2="${x}" y2="${px(end)}"/>`);
    for (const band of bands) {
      // Down for a whole step when it was down before the step and after it.
      const isDown = (crashedAfter[band.step - 1]?.[i] ?? false) && (crashedAfter[band.step]?.[i] ?? false);
      if (isDown !== down) {
        close(band.from);
        segmentStart = band.from;
        down = isDown;
      }
    }
    close(bottom);
    out.push(...segments);
  });
  out.push(...body);
  nodes.forEach((id, i) => {
    for (const headY of [MARGIN, bottom]) {
      const boxWidth = halfHeads[i]! * 2;
      out.push(
        `<g class="participant"><rect x="${px(xs[i]! - boxWidth / 2)}" y="${px(headY)}" width="${px(boxWidth)}" height="${HEAD_HEIGHT}" rx="6"/>` +
          `<text x="${px(xs[i]!)}" y="${px(headY + HEAD_HEIGHT / 2 + 4.5)}" text-anchor="middle">${escapeXml(id)}</text></g>`,
      );
    }
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

const TONES: Record<NoteTone, [fill: string, stroke: string]> = {
  timer: ['#fef3c7', '#d97706'],
  spontaneous: ['#e0f2fe', '#0284c7'],
  crash: ['#fee2e2', '#dc2626'],
  restart: ['#dcfce7', '#16a34a'],
  network: ['#f3e8ff', '#9333ea'],
  state: ['#f8fafc', '#94a3b8'],
  violation: ['#fee2e2', '#b91c1c'],
  cycle: ['#ede9fe', '#7c3aed'],
};

const STYLE = [
  `.unanimous-trace{font-family:${SANS_FONT}}`,
  '.unanimous-trace text{white-space:pre;fill:#1e293b}',
  '.unanimous-trace .background{fill:#ffffff}',
  '.unanimous-trace .band{fill:#f8fafc}',
  '.unanimous-trace .lifeline{stroke:#94a3b8;stroke-width:1.2;stroke-dasharray:5 4}',
  '.unanimous-trace .lifeline.down{stroke:#dc2626;stroke-dasharray:1.5 4;stroke-width:2}',
  '.unanimous-trace .participant rect{fill:#1e293b;stroke:#0f172a}',
  '.unanimous-trace .participant text{fill:#ffffff;font-weight:bold;font-size:13px}',
  '.unanimous-trace .step-number{fill:#64748b;font-size:12px;font-weight:bold}',
  '.unanimous-trace .message line,.unanimous-trace .message path{stroke:#334155;stroke-width:1.4;fill:none}',
  '.unanimous-trace .message polygon{fill:#334155}',
  '.unanimous-trace .message.lost line{stroke:#dc2626;stroke-dasharray:6 4}',
  '.unanimous-trace .message.lost .cross{fill:#dc2626;font-weight:bold}',
  '.unanimous-trace .message text{font-size:12px}',
  '.unanimous-trace .note text{font-size:11.5px}',
  ...Object.entries(TONES).map(([tone, [fill, stroke]]) => `.unanimous-trace .note-${tone} rect{fill:${fill};stroke:${stroke}}`),
  '.unanimous-trace .note-violation text{font-weight:bold;fill:#991b1b}',
  '.unanimous-trace .note-violation rect{stroke-width:2}',
].join('');

/** Items to rows: a message or an action's note alone; the changes of state of one step side by side. */
function rowsOf(items: readonly SequenceItem[]): Row[] {
  const rows: Row[] = [];
  for (const item of items) {
    if (item.kind === 'message') {
      rows.push({ kind: 'message', step: item.step, item, width: textWidth(item.text, LABEL_SIZE) });
      continue;
    }
    const note = placeNote(item);
    const last = rows[rows.length - 1];
    if (item.tone === 'state' && last?.kind === 'notes' && last.step === item.step && last.notes.every((other) => other.item.tone === 'state')) {
      rows[rows.length - 1] = { ...last, notes: [...last.notes, note] };
    } else {
      rows.push({ kind: 'notes', step: item.tone === 'violation' ? -1 : item.step, notes: [note] });
    }
  }
  return rows;
}

/** A note's text wrapped at word breaks to the note's greatest width. */
function placeNote(item: Extract<SequenceItem, { kind: 'note' }>): PlacedNote {
  const lines: string[] = [];
  let current = '';
  for (const word of item.text.split(' ')) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if (current !== '' && textWidth(candidate, NOTE_SIZE, item.tone === 'violation' ? 'bold' : 'normal') > NOTE_MAX_WIDTH - 2 * NOTE_PADDING_X) {
      lines.push(current);
      current = word;
    } else {
      current = candidate;
    }
  }
  lines.push(current);
  const weight = item.tone === 'violation' ? 'bold' : 'normal';
  const width = Math.max(...lines.map((line) => textWidth(line, NOTE_SIZE, weight))) + 2 * NOTE_PADDING_X;
  return { item, lines, width, height: lines.length * NOTE_SIZE * LINE_HEIGHT + 2 * NOTE_PADDING_Y };
}

function noteBox(note: PlacedNote, x: number, y: number, width: number): string {
  const lineHeight = NOTE_SIZE * LINE_HEIGHT;
  const texts = note.lines.map((line, i) => `<text x="${px(x + width / 2)}" y="${px(y + NOTE_PADDING_Y + lineHeight * i + NOTE_SIZE)}" text-anchor="middle">${escapeXml(line)}</text>`);
  // Tone classes are prefixed: a page's own `.state` or `.crash` rules must not reach into the SVG.
  return `<g class="note note-${note.item.tone}"><rect x="${px(x)}" y="${px(y)}" width="${px(width)}" height="${px(note.height)}" rx="4"/>${texts.join('')}</g>`;
}

function messageArrow(row: Extract<Row, { kind: 'message' }>, from: number, to: number, labelY: number, lineY: number): string {
  if (from === to) {
    // A message a node sends itself: a loop to the right of its lifeline, the label beside it.
    const loop = `M${px(from)} ${px(lineY - 6)}h24v12h-${24 - ARROW_LENGTH}`;
    const head = `${px(from)},${px(lineY + 6)} ${px(from + ARROW_LENGTH)},${px(lineY + 2)} ${px(from + ARROW_LENGTH)},${px(lineY + 10)}`;
    return `<g class="message"><text x="${px(from + 30)}" y="${px(lineY + 4)}">${escapeXml(row.item.text)}</text><path d="${loop}"/><polygon points="${head}"/></g>`;
  }
  const direction = to >= from ? 1 : -1;
  const label = `<text x="${px((from + to) / 2)}" y="${px(labelY)}" text-anchor="middle">${escapeXml(row.item.text)}</text>`;
  if (row.item.lost) {
    // A lost message stops short of its receiver, crossed out.
    const end = to - direction * 14;
    return `<g class="message lost">${label}<line x1="${px(from)}" y1="${px(lineY)}" x2="${px(end)}" y2="${px(lineY)}"/><text class="cross" x="${px(end + direction * 7)}" y="${px(lineY + 4.5)}" text-anchor="middle">${LOST_MARK}</text></g>`;
  }
  const shaftEnd = to - direction * ARROW_LENGTH;
  const head = `${px(to)},${px(lineY)} ${px(shaftEnd)},${px(lineY - 4)} ${px(shaftEnd)},${px(lineY + 4)}`;
  return `<g class="message">${label}<line x1="${px(from)}" y1="${px(lineY)}" x2="${px(shaftEnd)}" y2="${px(lineY)}"/><polygon points="${head}"/></g>`;
}

/** For each step (0: the initial state), which nodes are down after it, in the participants' order. */
function crashedAfterEachStep(trace: Trace, nodes: readonly string[]): boolean[][] {
  const crashed = new Map(trace.initial.nodes.map((node) => [node.id, node.crashed]));
  const result = [nodes.map((id) => crashed.get(id) ?? false)];
  for (const step of trace.steps) {
    for (const { after } of step.changed) crashed.set(after.id, after.crashed);
    result.push(nodes.map((id) => crashed.get(id) ?? false));
  }
  return result;
}
