import { accessSync, constants, existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * JUnit XML, the report format every CI system reads (Jenkins, GitLab, GitHub's test reporters,
 * CircleCI, Azure). There is no formal standard; this writes the common subset of Ant's JUnit
 * task output that all of them accept: one `<testsuites>` holding one `<testsuite>`, whose
 * `<testcase>`s carry a `<failure>` (the run is not what its model records), a `<skipped>`, or
 * nothing (it is), with `<properties>` and `<system-out>` for the details.
 */
export interface JUnitCase {
  /** The test's name within its class: the model and its parameters. */
  readonly name: string;
  /** Where reporters group it: the model's folder, dotted. */
  readonly classname: string;
  readonly seconds: number;
  readonly failure?: { readonly message: string; readonly type: string; readonly details: string };
  readonly skipped?: string;
  readonly properties?: Readonly<Record<string, string | number>>;
  readonly output?: string;
}

export function junitXml(suite: string, cases: readonly JUnitCase[], timestamp: Date): string {
  const failures = cases.filter((c) => c.failure).length;
  const skipped = cases.filter((c) => c.skipped !== undefined && !c.failure).length;
  const seconds = cases.reduce((sum, c) => sum + c.seconds, 0).toFixed(3);
  const counts = `tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds}"`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attribute(suite)}" ${counts}>`,
    `  <testsuite name="${attribute(suite)}" ${counts} timestamp="${timestamp.toISOString().replace(/\.\d+Z$/, '')}">`,
  ];
  for (const c of cases) {
    lines.push(`    <testcase name="${attribute(c.name)}" classname="${attribute(c.classname)}" time="${c.seconds.toFixed(3)}">`);
    const properties = Object.entries(c.properties ?? {});
    if (properties.length > 0) {
      lines.push('      <properties>');
      for (const [name, value] of properties) lines.push(`        <property name="${attribute(name)}" value="${attribute(String(value))}"/>`);
      lines.push('      </properties>');
    }
    if (c.failure) {
      lines.push(`      <failure message="${attribute(c.failure.message)}" type="${attribute(c.failure.type)}">${text(c.failure.details)}</failure>`);
    } else if (c.skipped !== undefined) {
      lines.push(`      <skipped message="${attribute(c.skipped)}"/>`);
    }
    if (c.output) lines.push(`      <system-out>${text(c.output)}</system-out>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

/**
 * Whether a report could be written there, asked before a run of minutes rather than after it:
 * the reason it could not, or undefined. (The nearest existing folder must be writable: the
 * report's own folders are made when it is written.)
 */
export function cannotWriteReport(path: string): string | undefined {
  const target = resolve(path);
  if (existsSync(target)) {
    if (statSync(target).isDirectory()) return `${target} is a folder`;
    try {
      accessSync(target, constants.W_OK);
      return undefined;
    } catch {
      return `${target} is not writable`;
    }
  }
  let folder = dirname(target);
  while (!existsSync(folder) && dirname(folder) !== folder) folder = dirname(folder);
  if (!statSync(folder).isDirectory()) return `cannot write in ${folder}: not a folder`;
  try {
    accessSync(folder, constants.W_OK);
    return undefined;
  } catch {
    return `cannot write in ${folder}`;
  }
}

/**
 * Writes a report whole or not at all: to a temporary file beside it, then renamed over it, so a
 * CI step that reads the file never sees half a report from a run that was killed.
 */
export function writeReport(path: string, contents: string): void {
  const target = resolve(path);
  mkdirSync(dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, target);
}

// XML 1.0 allows tab, newline, carriage return and the characters from U+0020 on, less the
// surrogates and U+FFFE/U+FFFF: anything else (an ANSI escape in a message, say) cannot be
// written even escaped, so it becomes U+FFFD.
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const text = (value: string): string => value.replace(NOT_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const attribute = (value: string): string =>
  text(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
