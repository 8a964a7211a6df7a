'use strict';

// Live view of sites and nodes from the control plane's /v1/topology and /v1/nodes, with drain, undrain and
// fill sent straight to each edge's /admin API: the same calls an operator's scripts make.
(() => {
  const params = new URLSearchParams(location.search);
  const refreshMs = Math.max(250, Number(params.get('refresh')) || 1000);
  const $ = id => document.getElementById(id);
  const tokenInput = $('token');
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

  function nodeRow(node) {
    const state = node.state === 'up' ? (node.draining ? 'draining' : node.ready ? 'up' : 'not-ready') : 'down';
    const actions = el('td', { class: 'actions' },
      node.draining
        ? el('button', { type: 'button', onclick: () => act(node, 'undrain', 'DELETE', '/admin/drain') }, 'Undrain')
        : el('button', { type: 'button', onclick: () => act(node, 'drain', 'PUT', '/admin/drain') }, 'Drain'),
      el('button', { type: 'button', onclick: () => act(node, 'fill', 'POST', '/admin/fills', { manifest: $('manifest').value.trim() }) }, 'Fill'),
      el('span', { class: 'action-status' }, view.actions[node.id] || ''));
    return el('tr', { 'data-node': node.id, 'data-state': state },
      el('th', { scope: 'row' }, el('a', { href: node.url + '/metrics' }, node.id), el('div', { class: 'hint' }, node.url)),
      el('td', {}, el('span', { class: 'badge ' + state }, state), node.reason ? el('div', { class: 'hint' }, node.reason) : ''),
      el('td', {}, state === 'down' ? '–' : node.ready ? 'yes' : 'no'),
      el('td', {}, node.draining ? 'yes' : 'no'),
      el('td', {}, node.eligible ? (node.rampFraction < 1 ? 'ramping ' + percent(node.rampFraction) : 'yes') : 'no'),
      el('td', {}, bar(node.utilization, mbps(node.egressBitsPerSecond))),
      el('td', { class: 'num' }, node.activeConnections),
      el('td', {}, bar(node.cacheFullness, percent(node.cacheFullness))),
      el('td', { class: 'num' }, percent(node.hitRatio)),
      el('td', { class: 'num' }, age(node.lastHeartbeat)),
      actions);
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
    $('sites').replaceChildren(...view.sites.map(site => el('section', { class: 'site', 'data-site': site.id },
      el('h2', {}, site.id + (site.id === view.defaultSite ? ' (default)' : '')),
      el('p', { class: 'hint' },
        (site.lat !== undefined ? 'at ' + site.lat.toFixed(2) + ', ' + site.lon.toFixed(2) + ' · ' : '') +
        (site.prefixes.length ? 'serves ' + site.prefixes.join(', ') : 'serves no prefixes') +
        (site.fallback.length ? ' · falls back to ' + site.fallback.join(', ') : '')),
      el('table', {},
        el('thead', {}, el('tr', {}, ...['Node', 'State', 'Ready', 'Draining', 'Eligible', 'Egress', 'Connections', 'Cache full', 'Hit ratio', 'Heartbeat', 'Actions'].map(h => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, ...site.nodes.map(id => byId.get(id)).filter(Boolean).map(nodeRow))))));
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
