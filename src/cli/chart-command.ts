import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { statechartToDot } from '../inspect/dot.ts';
import { statechartToMermaid } from '../inspect/mermaid.ts';
import { statechartOf } from '../inspect/statechart.ts';
import { renderStatechartSvg } from '../inspect/svg.ts';
import { MACHINES } from './machine-catalog.ts';
import { UsageError } from './usage-error.ts';

export const CHART_FORMATS = ['mermaid', 'dot', 'json', 'svg'] as const;
export type ChartFormat = (typeof CHART_FORMATS)[number];

const EXTENSIONS: Record<ChartFormat, string> = { mermaid: 'mmd', dot: 'dot', json: 'json', svg: 'svg' };

/** One machine's chart in one format (asynchronous: the SVG's layout is). */
export async function renderChart(name: string, format: ChartFormat): Promise<string> {
  const machine = MACHINES[name];
  if (!machine) throw new UsageError(`no machine "${name}"; the machines are: ${Object.keys(MACHINES).join(', ')}`);
  const chart = statechartOf(machine);
  if (format === 'mermaid') return statechartToMermaid(chart);
  if (format === 'dot') return statechartToDot(chart);
  if (format === 'svg') return renderStatechartSvg(chart);
  return `${JSON.stringify(chart, null, 2)}\n`;
}

/**
 * `unanimous chart`: the list of machines; `chart <protocol>/<machine>`: its chart on stdout;
 * `chart --write DIR`: every machine's chart as DIR/<protocol>/<machine>.<ext>.
 */
export async function chartCommand(options: { machine?: string; format: ChartFormat; write?: string }, out: (line: string) => void): Promise<number> {
  if (options.write !== undefined) {
    for (const name of Object.keys(MACHINES)) {
      const path = join(options.write, `${name}.${EXTENSIONS[options.format]}`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, await renderChart(name, options.format));
      out(path);
    }
    return 0;
  }
  if (options.machine === undefined) {
    for (const name of Object.keys(MACHINES)) out(name);
    return 0;
  }
  out((await renderChart(options.machine, options.format)).trimEnd());
  return 0;
}
