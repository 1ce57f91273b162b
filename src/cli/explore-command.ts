import { untilStopped } from './until-stopped.ts';
import { readFileSync } from 'node:fs';
import { ModelError } from '../checker/index.ts';
import { type ExplorerServer, ExplorerSession, isStepTrace, readRecordedDocument, readTraceDocument, type Replay, replayTrace, startExplorerServer, TraceDocumentError } from '../inspect/index.ts';
import { openModel } from './models.ts';
import { UsageError } from './usage-error.ts';

export interface ExploreCommandOptions {
  /** A model name from `unanimous list`, or a path to a model file. */
  readonly model: string;
  readonly parameters: Readonly<Record<string, number>>;
  /** 0 picks a free port. */
  readonly port: number;
  /** A trace file (a Trace, check/simulate --json output, or hosts' JSON-lines step trace) to open the page on. */
  readonly trace?: string;
}

/**
 * Loads the model, replays the trace if one is given, and starts the explorer on 127.0.0.1.
 * Everything that can be wrong with the arguments is a UsageError, raised before anything is served.
 */
export async function openExplorer(options: ExploreCommandOptions): Promise<{ server: ExplorerServer; session: ExplorerSession; preloaded?: Replay }> {
  const { model: name } = options;
  const { file, parameters, model } = await openModel(name, options.parameters);
  let session: ExplorerSession;
  let preloaded: Replay | undefined;
  try {
    session = new ExplorerSession({ name, description: file.description, parameters, model });
    session.stateReport([]);
    if (options.trace !== undefined) {
      const text = readText(options.trace);
      const document = isStepTrace(text) ? readRecordedDocument(text, model) : readTraceDocument(parseJson(options.trace, text), name);
      preloaded = replayTrace(session, document);
    }
  } catch (error) {
    if (error instanceof ModelError) throw new UsageError(`${name}: ${error.message}`);
    if (error instanceof TraceDocumentError) throw new UsageError(`--trace ${options.trace}: ${error.message}`);
    throw error;
  }
  let server: ExplorerServer;
  try {
    server = await startExplorerServer(session, { port: options.port, ...(preloaded ? { preloaded } : {}) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') throw new UsageError(`--port ${options.port}: cannot listen on 127.0.0.1:${options.port} (${code})`);
    throw error;
  }
  return { server, session, ...(preloaded ? { preloaded } : {}) };
}

/**
 * `unanimous explore`: serves the explorer page for one model until interrupted (Ctrl-C).
 * Exit status 0 after an interrupt, 2 for bad arguments, a bad model or an unreadable trace file.
 */
export async function exploreCommand(options: ExploreCommandOptions, out: (line: string) => void): Promise<number> {
  const { server, preloaded } = await openExplorer(options);
  out(`unanimous explore ${options.model}: ${server.url}`);
  if (preloaded) {
    const { recorded } = preloaded;
    if (recorded) {
      const count = recorded.problems.length;
      out(
        `recorded run: ${recorded.records} records from ${recorded.nodes.join(', ')}${
          count === 0 ? ', every step one the model allows' : `; ${count} step${count === 1 ? '' : 's'} the model does not allow: ${recorded.problems.map((p) => `${p.node} record ${p.seq}: ${p.message}`).join('; ')}`
        }`,
      );
    }
    const what = recorded ? 'the recorded run' : 'the trace';
    out(
      preloaded.mismatch
        ? `${what} leaves the model at step ${preloaded.mismatch.step}: ${preloaded.mismatch.message}`
        : `${what} (${preloaded.steps.length} steps${preloaded.property && !recorded ? `, breaking ${preloaded.property}` : ''}) replays on the model`,
    );
  }
  out('Ctrl-C stops it.');
  await untilStopped();
  await server.close();
  return 0;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--trace ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--trace ${path}: not JSON (${(error as Error).message})`);
  }
}
