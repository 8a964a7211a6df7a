'use strict';

// Live view of sites and nodes from the control plane's /v1/topology and /v1/nodes, with drain, undrain and
// fill sent straight to each edge's /admin API: the same calls an operator's scripts make.
(() => {
  const params = new URLSearchParams(location.search);
  const refreshMs = Math.max(250, Number(params.get('refresh')) || 1000);
  const $ = id => document.getElementById(id);
  const tokenInput = $('token');
  // A link may carry the token in its fragment (never sent to a server); it moves to this tab's storage at once.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get('token')) {
    sessionStorage.setItem('edge-operator-token', fragment.get('token').trim());
    history.replaceState(null, '', location.pathname + location.search);
  }
  tokenInput.value = sessionStorage.getItem('edge-operator-token') || '';
  tokenInput.addEventListener('change', () => { sessionStorage.setItem('edge-operator-token', tokenInput.value.trim()); refresh(); });
  $('settings').addEventListener('submit', e => e.preventDefault());

  const view = window.edgeOperator = { nodes: [], sites: [], updatedAt: null, refreshes: 0, error: null, actions: {} };

  function authHeaders(extra) {
    const token = tokenInput.value.trim();
    return Object.assign(token ? { Authorization: 'Bearer ' + token } : {}, extra || {});
  }

  async function getJson(url) {
    const response = await fetch(url, { headers: authHeaders(), cache: 'no-store' });
    if (!response.ok) throw new Error(url + ': ' + response.status + ' ' + (await response.text()).trim());
    return response.json();
  }

  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') node.className = v;
      else if (k === 'style') node.style.cssText = v; // CSSOM, which the page's CSP allows
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? '' : v);
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  };

  const mbps = bps => (bps / 1e6).toFixed(1) + ' Mbit/s';
  const percent = x => (x === null || x === undefined || isNaN(x)) ? '–' : (x * 100).toFixed(1) + '%';
  const bar = (fraction, label) => el('span', { class: 'bar', title: label },
    el('span', { class: 'fill' + (fraction > 0.9 ? ' hot' : ''), style: 'width:' + Math.min(100, Math.max(0, (fraction || 0) * 100)).toFixed(1) + '%' }),
    el('span', { class: 'label' }, label));
  const age = at => {
    if (!at) return 'never';
    const seconds = Math.max(0, (Date.now() - Date.parse(at)) / 1000);
    return seconds < 1 ? 'just now' : seconds.toFixed(0) + ' s ago';
  };

  async function act(node, label, method, path, body) {
    view.actions[node.id] = label + '…';
    render();
    try {
      const response = await fetch(node.url + path, {
        method, headers: authHeaders(body ? { 'Content-Type': 'application/json' } : null),
        body: body ? JSON.stringify(body) : undefined, mode: 'cors', cache: 'no-store',
      });
      const text = (await response.text()).trim();
      if (!response.ok) throw new Error(response.status + ' ' + text);
      view.actions[node.id] = label + ': ' + (method === 'POST' ? 'started' : text);
      const location = response.headers.get('Location');
      if (location) followFill(node, new URL(location, node.url + '/').toString());
    } catch (e) {
      view.actions[node.id] = label + ' failed: ' + e.message;
    }
    render();
    refresh();
  }

  async function followFill(node, url) {
    for (let i = 0; i < 3600; i++) {
      try {
        const response = await fetch(url, { headers: authHeaders(), mode: 'cors', cache: 'no-store' });
        const job = await response.json();
        view.actions[node.id] = 'fill ' + job.state + ': ' + job.objectsDone + ' of ' + (job.objectsTotal ?? '?') + ' objects';
        render();
        if (['done', 'failed', 'cancelled'].includes(job.state)) return;
      } catch (e) {
        view.actions[node.id] = 'fill: ' + e.message;
        render();
        return;
      }
      await new Promise(r => setTimeout(r, 500));
    }
  }

  // Rows, sections and buttons are kept across refreshes and only their contents change, so a click that lands
  // while the view refreshes is not lost with a replaced button.
  const sections = new Map();
  const rows = new Map();
  const current = id => view.nodes.find(n => n.id === id);

  function rowFor(id) {
    let row = rows.get(id);
    if (row) return row;
    const drain = el('button', { type: 'button', onclick: () => {
      const node = current(id);
      if (node.draining) act(node, 'undrain', 'DELETE', '/admin/drain');
      else act(node, 'drain', 'PUT', '/admin/drain');
    } });
    const fill = el('button', { type: 'button', onclick: () => act(current(id), 'fill', 'POST', '/admin/fills', { manifest: $('manifest').value.trim() }) }, 'Fill');
    const status = el('span', { class: 'action-status' });
    const cells = [el('th', { scope: 'row' }), ...Array.from({ length: 12 }, (_, i) => el('td', i >= 5 && i !== 6 ? { class: 'num' } : {}))];
    row = { tr: el('tr', { 'data-node': id }, ...cells, el('td', { class: 'actions' }, drain, fill, status)), cells, drain, fill, status };
    rows.set(id, row);
    return row;
  }

  function updateRow(node) {
    const row = rowFor(node.id);
    const state = node.state === 'up' ? (node.draining ? 'draining' : node.ready ? 'up' : 'not-ready') : 'down';
    // A node that is down reports nothing: its figures are the last it sent, greyed and dated.
    const down = state === 'down';
    const known = children => down ? [el('span', { class: 'stale' }, ...children)] : children;
    const contents = [
      [el('a', { href: node.url + '/metrics' }, node.id), el('div', { class: 'hint' }, node.url)],
      [el('span', { class: 'badge ' + state }, state), node.reason ? el('div', { class: 'hint' }, node.reason) : ''],
      [state === 'down' ? '–' : node.ready ? 'yes' : 'no'],
      [node.draining ? 'yes' : 'no'],
      [node.eligible ? (node.rampFraction < 1 ? 'ramping ' + percent(node.rampFraction) : 'yes') : 'no'],
      [...known([bar(node.utilization, mbps(node.egressBitsPerSecond))]), down ? el('div', { class: 'hint' }, 'last known, ' + age(node.lastHeartbeat)) : ''],
      known([String(node.activeConnections)]),
      known([bar(node.cacheFullness, percent(node.cacheFullness))]),
      known([percent(node.hitRatio)]),
      // Quality as the node's players report it in CMCD, over the last five minutes.
      known([String(node.playerSessions)]),
      known([node.playerSessions ? percent(node.rebufferingShare) : '–']),
      known([node.meanBitrateKbps ? mbps(node.meanBitrateKbps * 1000) : '–']),
      [age(node.lastHeartbeat)],
    ];
    contents.forEach((children, i) => row.cells[i].replaceChildren(...children));
    row.tr.dataset.state = state;
    row.drain.textContent = node.draining ? 'Undrain' : 'Drain';
    // Nothing answers on a node that is down: its actions wait until it is back.
    for (const button of [row.drain, row.fill]) {
      button.disabled = down;
      button.title = down ? node.id + ' is down' : '';
    }
    row.status.textContent = view.actions[node.id] || '';
    return row.tr;
  }

  function sectionFor(site) {
    let section = sections.get(site.id);
    if (!section) {
      const tbody = el('tbody');
      section = {
        el: el('section', { class: 'site', 'data-site': site.id }),
        title: el('h2'),
        hint: el('p', { class: 'hint' }),
        tbody,
      };
      section.el.append(section.title, section.hint, el('table', {},
        el('thead', {}, el('tr', {}, ...['Node', 'State', 'Ready', 'Draining', 'Eligible', 'Egress', 'Connections', 'Cache full', 'Hit ratio', 'Players', 'Rebuffering', 'Bitrate', 'Heartbeat', 'Actions'].map(h => el('th', { scope: 'col' }, h)))),
        tbody));
      sections.set(site.id, section);
    }

    section.title.textContent = site.id + (site.id === view.defaultSite ? ' (default)' : '');
    section.hint.textContent =
      (site.lat !== undefined ? 'at ' + site.lat.toFixed(2) + ', ' + site.lon.toFixed(2) + ' · ' : '') +
      (site.prefixes.length ? 'serves ' + site.prefixes.join(', ') : 'serves no prefixes') +
      (site.fallback.length ? ' · falls back to ' + site.fallback.join(', ') : '');
    return section;
  }

  // Moves kept elements into place and drops the ones that are gone; untouched elements stay where they are.
  function place(parent, children) {
    children.forEach((child, i) => { if (parent.children[i] !== child) parent.insertBefore(child, parent.children[i] || null); });
    while (parent.children.length > children.length) parent.lastElementChild.remove();
  }

  function render() {
    const nodes = view.nodes;
    const up = nodes.filter(n => n.state === 'up').length;
    const egress = nodes.reduce((s, n) => s + n.egressBitsPerSecond, 0);
    const connections = nodes.reduce((s, n) => s + n.activeConnections, 0);
    $('summary').replaceChildren(
      el('div', {}, el('strong', {}, view.sites.length), ' sites'),
      el('div', { 'data-summary': 'up' }, el('strong', {}, up + ' / ' + nodes.length), ' nodes up'),
      el('div', {}, el('strong', {}, mbps(egress)), ' egress'),
      el('div', {}, el('strong', {}, connections), ' connections'));
    const byId = new Map(nodes.map(n => [n.id, n]));
    place($('sites'), view.sites.map(site => {
      const section = sectionFor(site);
      place(section.tbody, site.nodes.map(id => byId.get(id)).filter(Boolean).map(updateRow));
      return section.el;
    }));
  }

  async function refresh() {
    try {
      const [topology, nodes] = await Promise.all([getJson('/v1/topology'), getJson('/v1/nodes')]);
      view.sites = topology.sites;
      view.defaultSite = topology.defaultSite;
      view.nodes = nodes.nodes;
      view.updatedAt = nodes.at;
      view.error = null;
      view.refreshes++;
      $('error').hidden = true;
      $('updated').textContent = 'updated ' + new Date(nodes.at).toLocaleTimeString() + (topology.lastError ? ' · topology error: ' + topology.lastError : '');
      render();
    } catch (e) {
      view.error = e.message;
      $('error').textContent = e.message;
      $('error').hidden = false;
    }
  }

  let running = false;
  async function loop() {
    if (running) return;
    running = true;
    try { await refresh(); } finally { running = false; }
  }
  loop();
  setInterval(loop, refreshMs);
})();
