// The explorer page: plain JavaScript over the JSON API of src/inspect/explorer/explorer-server.ts.
// The state shown is the one at the path in the URL (#path=3.0.2: action positions from the
// initial state), so a URL names a state and reloading it restores it. A loaded trace adds
// &trace=<its whole path>; stepping through it moves #path along that path.
'use strict';

const NODE_COLOURS = ['#2563eb', '#db2777', '#059669', '#7c3aed', '#d97706', '#0891b2', '#dc2626', '#4d7c0f'];
const FAULT_KINDS = ['crash', 'drop', 'duplicate'];
const SVG_NS = 'http://www.w3.org/2000/svg';

const page = {
  model: undefined,
  state: undefined,
  /**
   * The trace being stepped through: { property, source, steps: [{ label, position?, matchedTo? }],
   * path, mismatch?, recorded? } (recorded: { records, nodes, problems } for a run hosts recorded).
   */
  trace: undefined,
  /** Context and durable panels left open, by "<node>/<part>", kept across states. */
  open: new Set(),
  loading: 0,
};

const $ = (id) => document.getElementById(id);

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'className') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== undefined && child !== null) node.append(child);
  return node;
}

function showMessage(text) {
  const box = $('message');
  box.textContent = text;
  box.hidden = !text;
}

async function api(path, init) {
  const response = await fetch(path, init);
  const body = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body;
}

// ---- the URL ---------------------------------------------------------------------------------

function parsePathText(text) {
  if (!text) return [];
  if (!/^\d+(\.\d+)*$/.test(text)) throw new Error(`the URL's path "${text}" is not action numbers separated by dots`);
  return text.split('.').map(Number);
}

function readHash() {
  const parameters = new URLSearchParams(location.hash.slice(1));
  return {
    path: parsePathText(parameters.get('path') ?? ''),
    trace: parameters.has('trace') ? parsePathText(parameters.get('trace')) : undefined,
  };
}

function hashFor(path, tracePath) {
  const parts = [`path=${path.join('.')}`];
  if (tracePath) parts.push(`trace=${tracePath.join('.')}`);
  return `#${parts.join('&')}`;
}

function go(path) {
  const hash = hashFor(path, page.trace?.path);
  if (location.hash === hash) return;
  location.hash = hash;
}

const samePath = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const isPrefix = (prefix, path) => prefix.length <= path.length && prefix.every((x, i) => x === path[i]);

// ---- loading ---------------------------------------------------------------------------------

async function loadModel() {
  const model = await api('/api/model');
  page.model = model;
  const shown = Object.entries(model.parameters).map(([key, value]) => `${key}=${value}`).join(' ');
  $('model-name').textContent = `${model.name}${shown ? ` (${shown})` : ''}`;
  $('model-description').textContent = model.description;
  document.title = `${model.name} — Unanimous explorer`;
  $('network-kind').textContent = `(${model.network})`;
  const charts = $('charts');
  charts.replaceChildren();
  await Promise.all(
    model.machines.map(async (machine) => {
      const box = element('div', { className: 'chart', 'data-machine': String(machine.index) });
      box.append(element('h3', { text: `${machine.id}: ${machine.nodes.join(', ')}` }));
      const crashed = element('p', { className: 'crashed-nodes', hidden: '' });
      const drawing = element('div', { className: 'drawing' });
      box.append(crashed, drawing);
      charts.append(box);
      // A chart that cannot be drawn says so in its place; the rest of the page still works.
      const response = await fetch(`/api/chart/${machine.index}.svg`).catch((error) => ({ ok: false, error }));
      if (!response.ok) {
        const reason = response.error?.message ?? (await response.json().catch(() => ({}))).error ?? `status ${response.status}`;
        drawing.append(element('p', { className: 'mismatch' }, `The chart of ${machine.id} could not be drawn: ${reason}`));
        return;
      }
      // The SVG comes from this explorer's own server, rendered from the machine's definition.
      drawing.innerHTML = await response.text();
    }),
  );
}

async function showState(path) {
  const ticket = ++page.loading;
  const state = await api(`/api/state?path=${path.join('.')}`);
  if (ticket !== page.loading) return; // a later navigation overtook this one
  page.state = state;
  render();
}

async function onHashChange() {
  try {
    const { path, trace } = readHash();
    if (trace && !(page.trace && samePath(page.trace.path, trace))) page.trace = await traceFromPath(trace);
    if (!trace) page.trace = undefined;
    await showState(path);
    showMessage('');
  } catch (error) {
    showMessage(`${error.message}`);
  }
}

/**
 * A trace given only by its path (a shared URL, a reload): the page kept its replay in session
 * storage if it can; otherwise the step labels are read back from the states along the path.
 */
async function traceFromPath(path) {
  const saved = sessionStorage.getItem(`unanimous-trace:${path.join('.')}`);
  if (saved) return JSON.parse(saved);
  const states = await Promise.all(path.map((_, i) => api(`/api/state?path=${path.slice(0, i + 1).join('.')}`)));
  return { property: '', steps: states.map((state, i) => ({ label: state.arrivedBy.label, position: path[i] })), path };
}

function enterTrace(replay) {
  page.trace = replay;
  sessionStorage.setItem(`unanimous-trace:${replay.path.join('.')}`, JSON.stringify(replay));
  const hash = hashFor([], replay.path);
  // Another trace with the same path (one that stops at the same place) changes no URL: redraw.
  if (location.hash === hash) showState([]).catch((error) => showMessage(error.message));
  else location.hash = hash;
}

async function loadTraceFile(file) {
  try {
    const text = await file.text();
    const replay = await api('/api/replay', { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
    showMessage('');
    enterTrace(replay);
  } catch (error) {
    showMessage(`${file.name}: ${error.message}`);
  }
}

// ---- rendering -------------------------------------------------------------------------------

function render() {
  const { model, state } = page;
  if (!model || !state) return;
  renderTrace();
  renderPath();
  renderActions();
  renderCharts();
  renderProperties();
  renderNodes();
  renderNetwork();
}

function nodeColour(id) {
  const index = page.model.nodes.findIndex((node) => node.id === id);
  return NODE_COLOURS[index % NODE_COLOURS.length];
}

function renderTrace() {
  const { trace, state } = page;
  $('trace-panel').hidden = !trace;
  if (!trace) return;
  const onTrace = isPrefix(state.path, trace.path);
  const position = onTrace ? state.path.length : -1;
  // A run hosts recorded is no counterexample: it says which records the model does not allow.
  $('trace-kind').textContent = trace.recorded ? 'Recorded run' : trace.lasso ? 'Counterexample (a lasso)' : trace.property ? 'Counterexample' : 'Trace';
  $('trace-property').textContent = trace.recorded
    ? `${trace.recorded.records} records from ${trace.recorded.nodes.join(', ')}`
    : trace.property
      ? `breaking ${trace.property}`
      : '';
  renderRecordedProblems(trace.recorded);
  const source = trace.source?.model ? `from ${trace.source.model}` : '';
  $('trace-source').textContent = onTrace ? source : `${source}${source ? ' — ' : ''}you have left the trace: "next" goes back to it.`;
  $('trace-position').textContent = `step ${Math.max(position, 0)} of ${trace.steps.length}`;
  $('trace-prev').disabled = position <= 0;
  $('trace-next').disabled = onTrace && position >= trace.path.length;
  const mismatch = $('trace-mismatch');
  mismatch.hidden = !trace.mismatch;
  mismatch.textContent = trace.mismatch ? trace.mismatch.message : '';
  const list = $('trace-steps');
  list.replaceChildren(
    element(
      'li',
      { className: position === 0 ? 'current' : '', onclick: () => go([]) },
      'initial state',
      // A lasso of no steps: the initial state itself stutters forever.
      trace.lasso && trace.steps.length === 0 ? element('span', { className: 'lasso-mark' }, ` — ${trace.lasso.endText}`) : undefined,
    ),
    ...trace.steps.map((step, i) => {
      const matched = i < trace.path.length;
      const classes = [position === i + 1 ? 'current' : '', matched ? '' : 'unmatched'].join(' ').trim();
      // A client's request as recorded, and the model's event it was matched to (by type and node).
      const note = step.matchedTo ? element('span', { className: 'matched-to' }, ` — matched to the model's ${step.matchedTo}`) : undefined;
      // A lasso: where its cycle starts, and after the last step where the behaviour goes on.
      const { lasso } = trace;
      const start = lasso && lasso.cycleStart === i + 1 ? element('span', { className: 'lasso-mark' }, `${lasso.startText} — `) : undefined;
      const end = lasso && i === trace.steps.length - 1 ? element('span', { className: 'lasso-mark' }, ` — ${lasso.endText}`) : undefined;
      const parts = [start, step.label, note, end].filter((part) => part !== undefined);
      return element('li', { className: classes, onclick: matched ? () => go(trace.path.slice(0, i + 1)) : undefined }, ...parts);
    }),
  );
}

function renderRecordedProblems(recorded) {
  const box = $('trace-problems');
  const problems = recorded?.problems ?? [];
  box.hidden = problems.length === 0;
  if (problems.length === 0) return;
  const count = problems.length;
  $('trace-problems-summary').textContent =
    `${count} recorded step${count === 1 ? '' : 's'} the model does not allow; a node's steps stop at its first. The steps below are the part that replays.`;
  $('trace-problem-list').replaceChildren(
    ...problems.map((problem) => element('li', { 'data-node': problem.node, 'data-seq': String(problem.seq) }, `${problem.node} record ${problem.seq}: ${problem.message}`)),
  );
}

function renderPath() {
  const { state } = page;
  $('back').disabled = state.path.length === 0;
  $('restart').disabled = state.path.length === 0;
  $('permalink').href = hashFor(state.path, page.trace?.path);
  const labels = page.pathLabels ?? [];
  // The labels of the steps taken: kept as the path grows, fetched back when it jumps.
  labels.length = Math.min(labels.length, state.path.length);
  if (state.arrivedBy) labels[state.path.length - 1] = state.arrivedBy.label;
  page.pathLabels = labels;
  const list = $('path-steps');
  // On a trace the trace's own list shows the path; the path's list matters once the page leaves it.
  list.hidden = Boolean(page.trace && isPrefix(state.path, page.trace.path));
  list.replaceChildren(
    element('li', { className: state.path.length === 0 ? 'current' : '', onclick: () => go([]) }, 'initial state'),
    ...state.path.map((_, i) =>
      element(
        'li',
        { className: i === state.path.length - 1 ? 'current' : '', onclick: () => go(state.path.slice(0, i + 1)) },
        labels[i] ?? `action ${state.path[i]}`,
      ),
    ),
  );
  if (labels.filter((label) => label !== undefined).length < state.path.length) fillPathLabels(state.path);
}

async function fillPathLabels(path) {
  const states = await Promise.all(path.map((_, i) => api(`/api/state?path=${path.slice(0, i + 1).join('.')}`)));
  if (!page.state || !samePath(page.state.path, path)) return;
  page.pathLabels = states.map((state) => state.arrivedBy.label);
  renderPath();
}

function renderActions() {
  const { state, trace } = page;
  const nextInTrace = trace && isPrefix(state.path, trace.path) ? trace.path[state.path.length] : undefined;
  $('action-count').textContent = `(${state.actions.length})`;
  $('boundary-note').hidden = state.insideBoundary;
  const list = $('actions');
  if (state.actions.length === 0) {
    list.replaceChildren(element('li', { className: 'empty' }, 'none: no step can be taken here'));
    return;
  }
  list.replaceChildren(
    ...state.actions.map((action) =>
      element(
        'li',
        {},
        element(
          'button',
          {
            type: 'button',
            className: ['action', FAULT_KINDS.includes(action.action.kind) ? 'fault' : '', action.index === nextInTrace ? 'next-in-trace' : ''].join(' ').trim(),
            'data-index': String(action.index),
            'data-kind': action.action.kind,
            title: action.index === nextInTrace ? 'the next step of the trace' : '',
            onclick: () => go([...state.path, action.index]),
          },
          element('span', { className: 'label' }, action.label),
          element('span', { className: 'outcome' }, action.outcome),
        ),
      ),
    ),
  );
}

function renderCharts() {
  const { model, state } = page;
  for (const machine of model.machines) {
    const box = document.querySelector(`.chart[data-machine="${machine.index}"]`);
    if (!box) continue;
    const svg = box.querySelector('svg');
    const nodes = state.nodes.filter((node) => node.machine === machine.index);
    const crashed = nodes.filter((node) => node.crashed).map((node) => node.id);
    const crashedLine = box.querySelector('.crashed-nodes');
    crashedLine.hidden = crashed.length === 0;
    crashedLine.textContent = crashed.length ? `crashed: ${crashed.join(', ')}` : '';
    if (!svg) continue;
    for (const group of svg.querySelectorAll('g.state.active')) group.classList.remove('active');
    for (const badge of svg.querySelectorAll('.node-badge')) badge.remove();
    const badges = new Map();
    for (const node of nodes) {
      for (const id of node.activeStates) svg.querySelector(`g.state[data-state="${CSS.escape(id)}"]`)?.classList.add('active');
      const innermost = node.activeStates[node.activeStates.length - 1];
      if (innermost) badges.set(innermost, [...(badges.get(innermost) ?? []), node.id]);
    }
    for (const [id, owners] of badges) {
      const group = svg.querySelector(`g.state[data-state="${CSS.escape(id)}"]`);
      const box = group?.querySelector(':scope > rect.box');
      if (box) addBadges(group, box, owners);
    }
  }
}

/** Pills with the ids of the nodes in a state, along the top edge of its box, right-aligned. */
function addBadges(group, box, owners) {
  const top = Number(box.getAttribute('y'));
  let right = Number(box.getAttribute('x')) + Number(box.getAttribute('width')) - 4;
  for (const id of [...owners].reverse()) {
    const width = 10 + id.length * 7;
    const badge = document.createElementNS(SVG_NS, 'g');
    badge.setAttribute('class', 'node-badge');
    badge.setAttribute('data-node', id);
    const pill = document.createElementNS(SVG_NS, 'rect');
    Object.entries({ x: right - width, y: top - 8, width, height: 15, rx: 7, fill: nodeColour(id) }).forEach(([k, v]) => pill.setAttribute(k, String(v)));
    const text = document.createElementNS(SVG_NS, 'text');
    Object.entries({ x: right - width / 2, y: top + 3, 'text-anchor': 'middle' }).forEach(([k, v]) => text.setAttribute(k, String(v)));
    text.textContent = id;
    badge.append(pill, text);
    group.append(badge);
    right -= width + 3;
  }
}

function renderProperties() {
  const { state } = page;
  const table = $('properties');
  if (state.properties.length === 0) {
    table.replaceChildren(element('tr', {}, element('td', { className: 'what' }, 'this model states no properties')));
    return;
  }
  table.replaceChildren(
    ...state.properties.map((property) => {
      // A goal not reached here is no failure: it may be reached in another state.
      const verdict = property.holds === undefined || (property.kind === 'sometimes' && !property.holds) ? '–' : property.holds ? '✓' : '✗';
      const tone = property.holds === undefined ? '' : property.holds ? 'holds' : property.kind === 'sometimes' ? '' : 'fails';
      return element(
        'tr',
        { 'data-property': property.name, 'data-holds': String(property.holds), className: tone === 'fails' ? 'failing' : '' },
        element('td', { className: `verdict ${tone}` }, verdict),
        element(
          'td',
          {},
          element('div', {}, element('span', { className: 'name' }, property.name), ' ', element('span', { className: 'kind' }, property.kind)),
          element('div', { className: 'what' }, property.note),
        ),
      );
    }),
  );
}

function collapsible(nodeId, part, title, value) {
  const key = `${nodeId}/${part}`;
  const details = element('details', { 'data-part': part }, element('summary', {}, title), element('pre', {}, JSON.stringify(value, null, 2)));
  details.open = page.open.has(key);
  details.addEventListener('toggle', () => (details.open ? page.open.add(key) : page.open.delete(key)));
  return details;
}

function renderNodes() {
  const { state } = page;
  const changed = new Set((state.arrivedBy?.changed ?? []).map((change) => change.after.id));
  $('nodes').replaceChildren(
    ...state.nodes.map((node) => {
      const card = element('article', {
        className: ['node', node.crashed ? 'crashed' : '', changed.has(node.id) ? 'changed' : ''].join(' ').trim(),
        'data-node': node.id,
        style: `--node-colour: ${nodeColour(node.id)}`,
      });
      card.append(element('h3', {}, element('span', {}, node.id), element('span', { className: 'state-name' }, node.state)));
      const facts = element('dl');
      const fact = (term, value) => facts.append(element('dt', {}, term), element('dd', {}, value));
      fact('machine', page.model.machines[node.machine].id);
      if (!node.crashed) fact('timers', node.timers.length ? node.timers.join(', ') : 'none armed');
      fact('durable', Object.keys(node.durable).length ? `${Object.keys(node.durable).length} key${Object.keys(node.durable).length === 1 ? '' : 's'}` : 'nothing persisted');
      card.append(facts);
      if (!node.crashed) card.append(collapsible(node.id, 'context', 'context', node.context));
      card.append(collapsible(node.id, 'durable', 'durable image', node.durable));
      return card;
    }),
  );
}

function renderNetwork() {
  const { state, model } = page;
  const counts = new Map();
  for (const message of state.messages) counts.set(message.label, (counts.get(message.label) ?? 0) + 1);
  $('messages').replaceChildren(
    ...(counts.size === 0
      ? [element('li', { className: 'empty' }, 'no message in flight')]
      : [...counts].map(([label, count]) => element('li', {}, count > 1 ? `${label} ×${count}` : label))),
  );
  $('budgets').replaceChildren(
    ...['loss', 'duplication', 'crash'].map((kind) => element('li', { 'data-budget': kind }, `${kind}: ${state.budgets[kind]} of ${model.budgets[kind]}`)),
  );
}

// ---- wiring ----------------------------------------------------------------------------------

function stepTrace(delta) {
  const { trace, state } = page;
  if (!trace) return;
  if (!isPrefix(state.path, trace.path)) {
    // Off the trace: go back to the longest part of it this path shares.
    let common = 0;
    while (common < state.path.length && state.path[common] === trace.path[common]) common++;
    go(trace.path.slice(0, common));
    return;
  }
  const position = Math.min(Math.max(state.path.length + delta, 0), trace.path.length);
  go(trace.path.slice(0, position));
}

async function start() {
  $('back').addEventListener('click', () => page.state && go(page.state.path.slice(0, -1)));
  $('restart').addEventListener('click', () => go([]));
  $('trace-prev').addEventListener('click', () => stepTrace(-1));
  $('trace-next').addEventListener('click', () => stepTrace(1));
  $('trace-close').addEventListener('click', () => {
    page.trace = undefined;
    location.hash = hashFor(page.state?.path ?? [], undefined);
  });
  $('trace-file').addEventListener('change', (event) => {
    const [file] = event.target.files;
    if (file) loadTraceFile(file);
    event.target.value = '';
  });
  document.addEventListener('keydown', (event) => {
    if (event.target instanceof HTMLInputElement) return;
    if (event.key === 'ArrowLeft') page.trace ? stepTrace(-1) : page.state && go(page.state.path.slice(0, -1));
    if (event.key === 'ArrowRight' && page.trace) stepTrace(1);
  });
  window.addEventListener('hashchange', onHashChange);
  try {
    await loadModel();
    if (!location.hash) {
      const preloaded = await api('/api/preloaded');
      if (preloaded) {
        enterTrace(preloaded);
        return;
      }
    }
    await onHashChange();
  } catch (error) {
    showMessage(error.message);
  }
}

start();
