// The dashboard page. Everything that comes from the API server reaches the DOM through textContent only.
'use strict';

const rows = new Map(); // key -> { tr, row }
const order = []; // keys, sorted
const tbody = document.querySelector('#objects tbody');
const filter = document.getElementById('filter');
let selected = null;
let detailRequest = 0;
let pendingAction = null;

function $(id) { return document.getElementById(id); }

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function colour(name, version) {
  return name ? (version ? `${name} (${version})` : name) : '—';
}

function when(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return `${date.toLocaleString()} (${ago(date)} ago)`;
}

function ago(date) {
  const seconds = Math.max(0, Math.round((Date.now() - date.getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86400)}d`;
}

function searchText(row) {
  return [row.namespace, row.name, row.phase, row.degradedReason, row.activeColor, row.activeVersion, row.standbyVersion,
    row.previewVersion, row.desiredVersion].filter(Boolean).join(' ').toLowerCase();
}

function fill(tr, row) {
  const cells = tr.children;
  cells[0].textContent = row.namespace;
  cells[1].textContent = row.name;
  cells[2].textContent = row.phase ? (row.degradedReason ? `${row.phase} (${row.degradedReason})` : row.phase) : '—';
  cells[2].className = `phase phase-${row.phase || 'none'}`;
  cells[3].textContent = colour(row.activeColor, row.activeVersion);
  cells[3].className = `serving colour-${row.activeColor || 'none'}`;
  cells[4].textContent = colour(row.standbyColor, row.standbyVersion);
  cells[5].textContent = colour(row.previewColor, row.previewVersion);
  cells[6].textContent = row.desiredVersion || '—';
  cells[7].textContent = row.actions.length ? row.actions.join(', ') : '—';
  tr.dataset.phase = row.phase || '';
  tr.dataset.search = searchText(row);
}

function matches(tr) {
  const query = filter.value.trim().toLowerCase();
  return query.split(/\s+/).every(word => tr.dataset.search.includes(word));
}

function position(key) {
  let low = 0, high = order.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (order[middle] < key) low = middle + 1; else high = middle;
  }
  return low;
}

function upsert(row, flash) {
  const known = rows.get(row.key);
  if (known) {
    const phaseBefore = known.row.phase;
    known.row = row;
    fill(known.tr, row);
    known.tr.hidden = !matches(known.tr);
    if (flash && phaseBefore !== row.phase) {
      known.tr.classList.remove('changed');
      void known.tr.offsetWidth; // restart the highlight
      known.tr.classList.add('changed');
    }
    return;
  }
  const tr = document.createElement('tr');
  tr.dataset.key = row.key;
  for (const name of ['ns', 'name', 'phase', 'serving', 'standby', 'preview', 'desired', 'actions']) tr.appendChild(el('td', null, name));
  tr.addEventListener('click', () => select(row.key));
  fill(tr, row);
  tr.hidden = !matches(tr);
  const at = position(row.key);
  tbody.insertBefore(tr, at < order.length ? rows.get(order[at]).tr : null);
  order.splice(at, 0, row.key);
  rows.set(row.key, { tr, row });
}

function remove(key) {
  const known = rows.get(key);
  if (!known) return;
  known.tr.remove();
  rows.delete(key);
  order.splice(position(key), 1);
  if (selected === key) showGone(key);
}

function updateCount() {
  let shown = 0;
  for (const { tr } of rows.values()) if (!tr.hidden) shown++;
  $('count').textContent = `${shown} of ${rows.size} shown`;
  $('empty').hidden = rows.size > 0;
}

function showProblem(problem) {
  $('problem').hidden = !problem;
  $('problem').textContent = problem || '';
}

filter.addEventListener('input', () => {
  for (const { tr } of rows.values()) tr.hidden = !matches(tr);
  updateCount();
});

function select(key) {
  selected = key;
  for (const { tr } of rows.values()) tr.classList.toggle('selected', tr.dataset.key === key);
  $('action-result').hidden = true;
  refreshDetail();
}

async function refreshDetail() {
  if (!selected) return;
  const request = ++detailRequest;
  const key = selected;
  const response = await fetch(`api/object?key=${encodeURIComponent(key)}`);
  if (request !== detailRequest) return; // a newer request is under way
  if (!response.ok) { showGone(key); return; }
  renderDetail(await response.json());
}

function showGone(key) {
  $('detail').hidden = false;
  $('detail-title').textContent = `${key} is gone`;
  $('detail-actions').replaceChildren();
}

function rowsOf(table, items, cells) {
  const body = document.querySelector(`#${table} tbody`);
  body.replaceChildren(...items.map(item => {
    const tr = document.createElement('tr');
    for (const cell of cells(item)) tr.appendChild(cell instanceof Node ? cell : el('td', cell ?? '—'));
    return tr;
  }));
  if (items.length === 0) {
    const tr = document.createElement('tr');
    const td = el('td', 'none recorded');
    td.colSpan = document.querySelectorAll(`#${table} thead th`).length;
    tr.appendChild(td);
    body.appendChild(tr);
  }
}

function definitions(list, pairs) {
  const dl = $(list);
  dl.replaceChildren();
  for (const [term, value] of pairs) {
    dl.appendChild(el('dt', term));
    dl.appendChild(el('dd', value ?? '—'));
  }
}

function renderDetail(detail) {
  const row = detail.row;
  $('detail').hidden = false;
  $('detail-title').textContent = row.key;
  $('detail-phase').textContent = row.phase || '—';
  $('detail-phase').className = `phase-${row.phase || 'none'}`;
  $('detail-meaning').textContent = detail.meaning;
  $('detail-message').hidden = !detail.message;
  $('detail-message').textContent = detail.message ? `Message: ${detail.message}` : '';
  $('detail-todo').hidden = !detail.toDo;
  $('detail-todo').textContent = detail.toDo ? `What to do: ${detail.toDo}` : '';
  const colours = $('detail-colours');
  colours.replaceChildren(el('dl'));
  const dl = colours.firstChild;
  for (const [term, value] of [
    ['Serving', colour(row.activeColor, row.activeVersion)],
    ['Standby', colour(row.standbyColor, row.standbyVersion)],
    ['Under test', row.previewRevision ? `${colour(row.previewColor, row.previewVersion)}, revision ${row.previewRevision}` : '—'],
    ['Desired version', row.desiredVersion],
  ]) { dl.appendChild(el('dt', term)); dl.appendChild(el('dd', value ?? '—')); }

  const actions = $('detail-actions');
  actions.replaceChildren();
  const applicable = detail.actions.filter(a => a.applies);
  for (const action of applicable) {
    const button = el('button', action.verb[0].toUpperCase() + action.verb.slice(1));
    button.dataset.verb = action.verb;
    button.title = action.explanation;
    button.addEventListener('click', () => confirmAction(row.key, action));
    actions.appendChild(button);
  }
  if (applicable.length === 0) actions.appendChild(el('span', 'No action applies in this phase.', 'none'));

  definitions('detail-times', [
    ['Switched', detail.switchedAt ? when(detail.switchedAt) + (detail.lastSwitchMilliseconds != null ? `, Service write took ${detail.lastSwitchMilliseconds} ms` : '') : 'never'],
    ['Promoted', detail.promotedAt ? when(detail.promotedAt) : '—'],
    ['Rollback started', detail.rollbackStartedAt ? when(detail.rollbackStartedAt) : '—'],
    ['Aborted', detail.abortedRevision ? `revision ${detail.abortedRevision}${detail.abortedReason ? `: ${detail.abortedReason}` : ''}` : 'none'],
  ]);

  $('timeline').replaceChildren(...detail.timeline.map(entry => {
    const li = el('li', null, entry.kind);
    const time = el('time', new Date(entry.at).toLocaleTimeString());
    time.dateTime = entry.at;
    li.appendChild(time);
    li.appendChild(document.createTextNode(entry.text));
    return li;
  }));

  rowsOf('checks', detail.checks, c => [c.stage, c.name, el('td', c.passed ? 'passed' : 'FAILED', c.passed ? 'passed' : 'failed'),
    c.pods, c.latencyMs != null ? `${c.latencyMs} ms` : null, c.failingPods, c.message]);
  rowsOf('warmup', detail.warmup, w => [w.stage, w.pod, w.requests, w.failed, `${w.firstLatencyMs} ms`, `${w.lastLatencyMs} ms`]);
  const parity = detail.parity;
  definitions('parity', parity ? [
    ['Result', parity.passed ? 'passed' : 'FAILED'],
    ['Revision', `${parity.revision} (${parity.color || '?'}) against ${parity.servingRevision || '?'} (${parity.servingColor || '?'})${parity.afterSwitch ? ', after the switch' : ''}`],
    ['Requests', `${parity.requests}, ${parity.compared} compared, ${parity.disagreements} disagreements`],
    ['Agreement', parity.agreement != null ? `${(parity.agreement * 100).toFixed(1)}%` : null],
    ['Accuracy', parity.accuracy != null ? `${parity.accuracy} (serving ${parity.servingAccuracy ?? '?'}) on ${parity.labelled} labelled` : null],
    ['Latency p95', parity.latencyP95Ms != null ? `${parity.latencyP95Ms} ms (serving ${parity.servingLatencyP95Ms ?? '?'} ms)` : null],
    ['Message', parity.message],
  ] : [['Parity', 'no report']]);
  rowsOf('events', detail.events, e => [ago(new Date(e.lastSeen)) + ' ago', e.type, e.reason, e.message, e.count]);
}

function confirmAction(key, action) {
  pendingAction = { key, verb: action.verb };
  $('confirm-text').textContent = `Request ${action.verb} of ${key}?`;
  $('confirm-rule').textContent = action.explanation;
  $('confirm-ok').textContent = `Request ${action.verb}`;
  $('confirm').showModal();
}

$('confirm').addEventListener('close', async () => {
  const request = pendingAction;
  pendingAction = null;
  if ($('confirm').returnValue !== 'ok' || !request) return;
  const result = $('action-result');
  result.hidden = false;
  result.className = '';
  result.textContent = `Requesting ${request.verb}…`;
  let body;
  try {
    const response = await fetch('api/actions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    });
    body = await response.json();
  } catch (e) {
    body = { error: `the dashboard did not answer: ${e}` };
  }
  result.className = body.error ? 'error' : 'ok';
  result.textContent = body.error ? `Refused: ${body.error}` : body.message;
});

function connect() {
  const source = new EventSource('api/stream');
  source.onopen = () => { $('connection').textContent = 'live'; $('connection').className = 'live'; };
  source.onerror = () => { $('connection').textContent = 'reconnecting…'; $('connection').className = 'lost'; };
  source.addEventListener('snapshot', event => {
    const data = JSON.parse(event.data);
    $('scope').textContent = data.scope;
    const listed = new Set(data.rows.map(r => r.key));
    for (const key of [...rows.keys()]) if (!listed.has(key)) remove(key);
    for (const row of data.rows) upsert(row, false);
    showProblem(data.problem);
    updateCount();
    if (selected) refreshDetail();
  });
  source.addEventListener('changes', event => {
    const data = JSON.parse(event.data);
    for (const row of data.rows) upsert(row, true);
    for (const key of data.removed) remove(key);
    showProblem(data.problem);
    updateCount();
    if (selected && data.changed.includes(selected)) refreshDetail();
  });
}

connect();
