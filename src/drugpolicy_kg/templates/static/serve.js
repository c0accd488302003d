'use strict';
const DPK = 'https://w3id.org/drugpolicy-kg/id/';
const $ = (s) => document.querySelector(s);
const PREFIXES = JSON.parse($('#prefixes').textContent);
const header = Object.entries(PREFIXES).map(([p, ns]) => `PREFIX ${p}: <${ns}>`).join('\n');
let examples = [];

function short(iri) {
  let best = null;
  for (const [p, ns] of Object.entries(PREFIXES)) {
    if (iri.startsWith(ns) && (!best || ns.length > best[1].length)) best = [p, ns];
  }
  return best ? best[0] + ':' + iri.slice(best[1].length) : iri;
}

function cell(term) {
  const td = document.createElement('td');
  if (!term) return td;
  if (term.type === 'uri' && term.value.startsWith(DPK)) {
    const a = document.createElement('a');
    a.href = 'entity?iri=' + encodeURIComponent(term.value);
    a.textContent = short(term.value);
    td.appendChild(a);
  } else {
    td.textContent = term.type === 'uri' ? short(term.value) : term.value;
  }
  return td;
}

async function run() {
  $('#status').textContent = 'running…';
  $('#results').textContent = '';
  const t0 = performance.now();
  try {
    let sparql = $('#q').value;  // the project's prefixes, declared for the engine where the query does not
    const missing = Object.entries(PREFIXES).filter(([p]) => !new RegExp('PREFIX\\s+' + p + ':', 'i').test(sparql));
    sparql = missing.map(([p, ns]) => `PREFIX ${p}: <${ns}>`).join('\n') + (missing.length ? '\n' : '') + sparql;
    const r = await fetch('query', {method: 'POST', body: sparql,
      headers: {'Content-Type': 'application/sparql-query', 'Accept': 'application/sparql-results+json'}});
    const text = await r.text();
    if (!r.ok) { $('#status').textContent = `error ${r.status}: ${text.slice(0, 300)}`; return; }
    const data = JSON.parse(text);
    if ('boolean' in data) { $('#results').textContent = String(data.boolean); }
    else {
      const table = document.createElement('table');
      const head = table.insertRow();
      for (const v of data.head.vars) { const th = document.createElement('th'); th.textContent = v; head.appendChild(th); }
      for (const b of data.results.bindings) {
        const tr = table.insertRow();
        for (const v of data.head.vars) tr.appendChild(cell(b[v]));
      }
      $('#results').appendChild(table);
    }
    const rows = data.results ? data.results.bindings.length : 1;
    $('#status').textContent = `${rows} rows in ${Math.round(performance.now() - t0)} ms`;
  } catch (e) { $('#status').textContent = 'error: ' + e; }
}

async function find() {
  const words = $('#words').value.trim();
  $('#hits').textContent = '';
  if (!words) return;
  const r = await fetch('search?q=' + encodeURIComponent(words));
  const data = await r.json();
  if (!r.ok) { $('#hits').textContent = data.error || 'error'; return; }
  const ul = document.createElement('ul');
  for (const e of data.entities) {
    const li = document.createElement('li'); const a = document.createElement('a');
    a.href = 'entity?iri=' + encodeURIComponent(e.iri); a.textContent = e.label; li.appendChild(a);
    li.append(' (' + e.kind + ')'); ul.appendChild(li);
  }
  for (const q of data.quotes) {
    const li = document.createElement('li');
    for (const [i, part] of q.snippet.split(/[\[\]]/).entries()) {
      if (i % 2) { const m = document.createElement('mark'); m.textContent = part; li.appendChild(m); }
      else li.append(part);
    }
    const loc = document.createElement('div'); loc.className = 'loc';
    loc.textContent = '— ' + q.source + ', ' + q.locator; li.appendChild(loc);
    for (const st of q.states.slice(0, 3)) {
      const a = document.createElement('a'); a.href = 'entity?iri=' + encodeURIComponent(st.subject);
      a.textContent = st.label; loc.append(' · '); loc.appendChild(a);
    }
    ul.appendChild(li);
  }
  if (!ul.children.length) ul.textContent = 'Nothing found: every word must occur.';
  $('#hits').appendChild(ul);
}

async function init() {
  const r = await fetch('examples.json');
  examples = await r.json();
  const sel = $('#examples');
  for (const [i, ex] of examples.entries()) {
    const o = document.createElement('option'); o.value = String(i);
    o.textContent = `${ex.name} (${ex.audience})`; sel.appendChild(o);
  }
  const pick = () => { const ex = examples[Number(sel.value)]; $('#q').value = ex.text; $('#summary').textContent = ex.summary; };
  sel.addEventListener('change', pick);
  if (examples.length) pick(); else $('#q').value = header + '\nSELECT * WHERE { ?s ?p ?o } LIMIT 10';
  $('#run').addEventListener('click', run);
  $('#find').addEventListener('click', find);
  $('#words').addEventListener('keydown', (e) => { if (e.key === 'Enter') find(); });
}
init();
