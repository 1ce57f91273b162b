import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import { renderStatechartSvg, statechartOf, statechartToDot, statechartToMermaid } from '../inspect/index.ts';
import { MACHINES } from './machine-catalog.ts';
import { isModelFile, listModelNames, openModel } from './models.ts';
import { didYouMean } from './suggest.ts';
import { UsageError } from './usage-error.ts';

export const CHART_FORMATS = ['mermaid', 'dot', 'json', 'svg'] as const;
export type ChartFormat = (typeof CHART_FORMATS)[number];

const EXTENSIONS: Record<ChartFormat, string> = { mermaid: 'mmd', dot: 'dot', json: 'json', svg: 'svg' };

export interface ChartCommandOptions {
  /** A machine of the catalogue (`raft/server`), a model name (`raft/lossy`) or a model file. */
  readonly subject?: string;
  readonly format: ChartFormat;
  readonly write?: string;
  /** Parameters of a model named as the subject. */
  readonly parameters: Readonly<Record<string, number>>;
}

/** One machine's chart in one format (asynchronous: the SVG's layout is). */
export async function renderChart(machine: AnyStateMachine, format: ChartFormat): Promise<string> {
  const chart = statechartOf(machine);
  if (format === 'mermaid') return statechartToMermaid(chart);
  if (format === 'dot') return statechartToDot(chart);
  if (format === 'svg') return renderStatechartSvg(chart);
  return `${JSON.stringify(chart, null, 2)}\n`;
}

/**
 * `unanimous chart`: the list of machines; `chart <protocol>/<machine>`: its chart on stdout;
 * `chart <model>` (a name or a model file): the charts of the machines the model runs, each
 * under its name; `--write DIR`: the charts as DIR/<name>.<ext> — every catalogued machine's, or
 * the named model's.
 */
export async function chartCommand(options: ChartCommandOptions, out: (line: string) => void): Promise<number> {
  const { subject } = options;
  if (subject === undefined && options.write === undefined) {
    for (const name of Object.keys(MACHINES)) out(name);
    return 0;
  }
  const machines = subject === undefined ? MACHINES : subject in MACHINES ? { [subject]: MACHINES[subject]! } : await machinesOfModel(subject, options.parameters);
  if (options.write !== undefined) {
    for (const [name, machine] of Object.entries(machines)) {
      const path = join(options.write, `${name}.${EXTENSIONS[options.format]}`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, await renderChart(machine, options.format));
      out(path);
    }
    return 0;
  }
  const entries = Object.entries(machines);
  if (entries.length === 1) {
    out((await renderChart(entries[0]![1], options.format)).trimEnd());
    return 0;
  }
  if (options.format === 'svg') throw new UsageError(`${subject} runs ${entries.length} machines (${entries.map(([name]) => name).join(', ')}): one SVG each needs --write DIR`);
  if (options.format === 'json') {
    out(JSON.stringify(Object.fromEntries(entries.map(([name, machine]) => [name, statechartOf(machine)])), null, 2));
    return 0;
  }
  const comment = options.format === 'mermaid' ? '%%' : '//';
  for (const [i, [name, machine]] of entries.entries()) {
    if (i > 0) out('');
    out(`${comment} ${name}`);
    out((await renderChart(machine, options.format)).trimEnd());
  }
  return 0;
}

/**
 * The machines a model runs, by `<model>/<machine id>` (each distinct machine once, however many
 * nodes run it). A subject that is neither a machine nor a model is refused with the closest of both.
 */
async function machinesOfModel(subject: string, parameters: Readonly<Record<string, number>>): Promise<Record<string, AnyStateMachine>> {
  const isFile = isModelFile(subject);
  if (!isFile && !listModelNames().includes(subject)) {
    throw new UsageError(`no machine or model "${subject}"${didYouMean(subject, [...Object.keys(MACHINES), ...listModelNames()])} ("unanimous chart" lists the machines, "unanimous list" the models)`);
  }
  const { model } = await openModel(subject, parameters);
  const prefix = isFile ? subject.replace(/^.*\//, '').replace(/\.m?ts$/, '') : subject;
  const machines: Record<string, AnyStateMachine> = {};
  for (const node of model.nodes) {
    const machine = node.machine as AnyStateMachine;
    if (!Object.values(machines).includes(machine)) machines[`${prefix}/${machine.id}`] = machine;
  }
  return machines;
}
