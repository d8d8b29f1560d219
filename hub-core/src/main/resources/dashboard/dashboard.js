// QuotaHub dashboard: reads this hub's HTTP API (relative URLs, so a path prefix works) and renders
// four tabs. State every 2 s, reset countdowns every second. Key ids only: the state holds no secret,
// and every value goes into the page as text, never as HTML. When the hub answers 401 or 403 the page
// asks for a token, keeps it in sessionStorage only (this tab; never a cookie or localStorage) and
// sends it as a Bearer header; a hub in protected mode never asks.
'use strict';

(function () {
  const STATE_URL = document.body.dataset.state || 'api/v1/state';
  const SYSTEM_URL = document.body.dataset.system || 'api/v1/system';
  const DIAGNOSTICS_URL = document.body.dataset.diagnostics || 'api/v1/diagnostics';
  const POLL_MS = pollInterval();
  const STALE_MS = 5000;
  const TABS = ['overview', 'thermal', 'quota', 'diagnostics'];
  const TOKEN_KEY = 'quotahub.token';

  let skewMs = 0;          // server clock minus browser clock, from the state's "at"
  let lastOk = 0;          // browser time of the last good state
  let lastState = null;
  let lastSystem = null;

  // ---------- small helpers ----------
  const $ = id => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'testid') e.setAttribute('data-testid', v);
        else if (k === 'style') e.style.cssText = v;
        else e.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const c of children) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }

  function svg(tag, attrs) {
    const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    return e;
  }

  /** A test/DOM-safe id part: key and pool ids are config names, keep them readable. */
  const idPart = s => String(s).replace(/[^A-Za-z0-9_.-]/g, '_');

  /** Where NOMINAL, ELEVATED, CRITICAL and THROTTLED begin: the hub's quotahub.thermal.zone-bounds. */
  let zoneBounds = [40, 60, 80, 95];

  /** Zone of a utilisation 0–1, on the same scale as temperatures (docs/architecture.md, "Thermal state"). */
  function zoneOfUse(u) {
    const t = u * 100;
    const [nominal, elevated, critical, throttled] = zoneBounds;
    return t < nominal ? 'OPTIMAL' : t < elevated ? 'NOMINAL' : t < critical ? 'ELEVATED' : t < throttled ? 'CRITICAL' : 'THROTTLED';
  }

  function zoneOfScore(score) {
    return score >= 80 ? 'OPTIMAL' : score >= 60 ? 'NOMINAL' : score >= 40 ? 'ELEVATED' : 'CRITICAL';
  }

  /** "PT1M" -> "1m", "PT24H" -> "24h", "PT10S" -> "10s", "PT1H30M" -> "1h30m". */
  function per(iso, zone) {
    if (zone) return 'day (' + zone + ')';
    const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?$/.exec(iso || '');
    if (!m) return iso || '';
    const parts = [];
    if (m[1]) parts.push(m[1] + 'd');
    if (m[2]) parts.push(m[2] + 'h');
    if (m[3]) parts.push(m[3] + 'm');
    if (m[4]) parts.push(m[4] + 's');
    return parts.join('') || '0s';
  }

  const num = n => Number(n).toLocaleString('en-US');
  const plural = (n, word) => `${num(n)} ${word}${n === 1 ? '' : 's'}`;

  function bytes(n) {
    if (n === undefined || n === null || n < 0) return '–';
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + u[i];
  }

  function duration(sec) {
    sec = Math.max(0, Math.round(sec));
    const d = Math.floor(sec / 86400), h = Math.floor(sec % 86400 / 3600), m = Math.floor(sec % 3600 / 60), s = sec % 60;
    if (d) return d + 'd ' + h + 'h';
    if (h) return h + 'h ' + String(m).padStart(2, '0') + 'm';
    if (m) return m + 'm ' + String(s).padStart(2, '0') + 's';
    return s + 's';
  }

  const chip = (zone, testid) => el('span', {class: 'chip ' + zone, testid, 'data-zone': zone}, zone);

  const TREND_ARROWS = {RISING: '↑', STABLE: '→', FALLING: '↓'};
  const trendArrow = (trend, testid) => el('span', {class: 'trend ' + trend, testid, 'data-trend': trend,
    title: 'trend: ' + String(trend).toLowerCase()}, (TREND_ARROWS[trend] || '?') + ' ' + String(trend).toLowerCase());

  /** Use bar: fill = used/capacity coloured by zone, black mark = this hub's budget. */
  function useBar(l, testid) {
    const cap = Math.max(1, l.capacity);
    const used = Math.min(1, l.used / cap), budget = Math.min(1, l.budget / cap);
    const b = el('div', {class: 'bar', testid, 'data-used': l.used, 'data-capacity': l.capacity, 'data-budget': l.budget,
      'data-remaining': l.remaining, role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': l.capacity, 'aria-valuenow': l.used,
      title: `${num(l.used)} used of ${num(l.capacity)} (all hubs); this hub's budget ${num(l.budget)}, ${num(l.remaining)} left`});
    b.append(el('span', {class: 'fill fill-' + zoneOfUse(used), style: `width:${(used * 100).toFixed(2)}%`}));
    b.append(el('span', {class: 'mark', style: `left:calc(${(budget * 100).toFixed(2)}% - 1px)`, title: "this hub's budget"}));
    return b;
  }

  /** SVG half-circle gauge 0–100. */
  function gauge(temperature, zone, testid) {
    const g = svg('svg', {class: 'gauge', viewBox: '0 0 180 104', role: 'img', 'data-testid': testid,
      'data-temperature': temperature, 'data-zone': zone, 'aria-label': `temperature ${temperature} (${zone})`});
    const arc = 'M 20 90 A 70 70 0 0 1 160 90';
    g.append(svg('path', {d: arc, class: 'track', fill: 'none', 'stroke-width': 14, 'stroke-linecap': 'butt'}));
    const t = Math.max(0, Math.min(100, temperature));
    if (t > 0) {
      g.append(svg('path', {d: arc, class: 'stroke-' + zone, fill: 'none', 'stroke-width': 14, pathLength: 100,
        'stroke-dasharray': `${t} 100`}));
    }
    // zone boundaries (40 / 60 / 80 / 95 unless the hub is configured otherwise)
    for (const b of zoneBounds) {
      const a = Math.PI * (1 - b / 100);
      const x1 = 90 + 61 * Math.cos(a), y1 = 90 - 61 * Math.sin(a), x2 = 90 + 79 * Math.cos(a), y2 = 90 - 79 * Math.sin(a);
      g.append(svg('line', {x1: x1.toFixed(1), y1: y1.toFixed(1), x2: x2.toFixed(1), y2: y2.toFixed(1), stroke: '#fff', 'stroke-width': 2}));
    }
    const v = svg('text', {x: 90, y: 82, 'text-anchor': 'middle', class: 'value'});
    v.textContent = temperature.toFixed(1) + '°';
    const u = svg('text', {x: 90, y: 100, 'text-anchor': 'middle', class: 'unit'});
    u.textContent = 'of 100';
    g.append(v, u);
    return g;
  }

  function kv(pairs) {
    const dl = el('dl', {class: 'kv'});
    for (const [k, v, testid, attrs] of pairs) {
      dl.append(el('dt', null, k), el('dd', Object.assign({testid}, attrs || {}), v));
    }
    return dl;
  }

  /** A countdown to resetAt (when the oldest unit leaves the window), re-rendered every second. */
  function resetCell(l, testid, prefix) {
    prefix = prefix || 'frees in';
    return el('span', {class: 'countdown', testid, 'data-reset-at': l.resetAt || '', 'data-prefix': prefix},
      countdownText(l.resetAt, prefix));
  }

  function countdownText(resetAt, prefix) {
    if (!resetAt) return 'window empty';
    const ms = Date.parse(resetAt) - (Date.now() + skewMs);
    return ms <= 0 ? 'now' : prefix + ' ' + duration(Math.ceil(ms / 1000));
  }

  function tickCountdowns() {
    for (const e of document.querySelectorAll('[data-reset-at]')) {
      e.textContent = countdownText(e.getAttribute('data-reset-at'), e.getAttribute('data-prefix'));
    }
    updateFreshness();
  }

  // ---------- tabs ----------
  function showTab(name) {
    if (!TABS.includes(name)) name = 'overview';
    for (const t of TABS) {
      $('tab-' + t).classList.toggle('active', t === name);
      $('tab-' + t).setAttribute('aria-selected', String(t === name));
      $('panel-' + t).classList.toggle('active', t === name);
    }
    document.body.dataset.tab = name;
    if (location.hash !== '#' + name) history.replaceState(null, '', '#' + name);
  }

  // ---------- Overview ----------
  function peerServes(status) {
    switch (status) {
      case 'CONNECTED': return ['up', 'serving its own site; both hubs share state and budget'];
      case 'SUSPECT': return ['unsure', 'silent but its NATS server answers: dead or hung, takeover pending'];
      case 'PARTITIONED': return ['unsure', 'unreachable (split or machine down); each side serves from its own budget'];
      case 'FENCED': return ['down', 'fenced: this hub took over its budget and serves its agents'];
      case 'DEAD': return ['down', 'declared dead by an operator: this hub serves alone'];
      case 'STOPPED': return ['down', 'stopped as planned: it handed its budget over; this hub serves alone until it returns'];
      default: return ['unsure', 'unknown'];
    }
  }

  function renderOverview(s) {
    const score = s.thermal.healthScore;
    const h = $('health-score');
    h.textContent = score;
    h.className = 'big c-' + zoneOfScore(score);
    h.dataset.score = score;

    $('hub-thermal').replaceChildren(
      el('div', {style: 'display:flex;gap:.8rem;align-items:center'},
        el('div', {class: 'big c-' + s.thermal.zone, testid: 'hub-temperature', 'data-temperature': s.thermal.temperature},
          s.thermal.temperature.toFixed(1) + '°'),
        el('div', null, chip(s.thermal.zone, 'hub-zone'), el('div', null, trendArrow(s.thermal.trend, 'hub-trend')))),
      el('div', {class: 'sub'}, s.thermal.throttled ? 'throttled · ' : '', plural(s.thermal.throttleEvents, 'throttle event')));

    const agents = Object.values(s.agents || {});
    const byHealth = {};
    agents.forEach(a => { byHealth[a] = (byHealth[a] || 0) + 1; });
    let granted = 0, refused = 0, keys = 0;
    s.pools.forEach(p => p.keys.forEach(k => { granted += k.granted; refused += k.refused; keys++; }));
    $('leases').replaceChildren(kv([
      ['open leases', num(s.openLeases), 'open-leases'],
      ['granted', num(granted), 'total-granted'],
      ['refused', num(refused), 'total-refused'],
      ['pools / keys', `${s.pools.length} / ${keys}`],
      ['agents', agents.length ? Object.entries(byHealth).map(([k, v]) => `${v} ${k.toLowerCase()}`).join(', ') : 'none', 'agents'],
    ]));

    // both hubs and which one serves
    const thisServes = s.ready;
    const cards = [el('div', {class: 'hub ' + (thisServes ? 'up' : 'down'), testid: 'hub-this', 'data-ready': String(s.ready),
      'data-serving': String(thisServes)},
      el('div', {class: 'name'}, s.hubId, el('span', {class: 'muted'}, '(this hub)'),
        el('span', {class: 'badge ' + (thisServes ? 'ok' : 'bad')}, thisServes ? 'SERVING' : 'NOT SERVING')),
      kv([['ready', s.ready ? 'yes' : 'no — ' + (s.notReadyReason || 'unknown reason'), 'this-ready'],
        ['state at', new Date(Date.parse(s.at)).toLocaleTimeString()]]))];
    let serving = thisServes ? [s.hubId] : [];
    if (s.peer) {
      const [cls, text] = peerServes(s.peer.status);
      const peerServing = s.peer.status === 'CONNECTED' || s.peer.status === 'PARTITIONED';
      if (s.peer.status === 'CONNECTED') serving.push(s.peer.hubId);
      if (s.peer.status === 'PARTITIONED') serving.push(s.peer.hubId + ' (unconfirmed)');
      cards.push(el('div', {class: 'hub ' + cls, testid: 'hub-peer', 'data-status': s.peer.status},
        el('div', {class: 'name'}, s.peer.hubId, el('span', {class: 'muted'}, '(peer)'),
          el('span', {class: 'badge ' + (cls === 'up' ? 'ok' : cls === 'down' ? 'bad' : 'warn'), testid: 'peer-status'}, s.peer.status)),
        el('div', {class: 'sub', style: 'margin-bottom:.3rem'}, text),
        kv([['replication lag', num(s.peer.replicationLagMs) + ' ms', 'peer-lag'],
          ['last seen', s.peer.lastSeenMs < 0 ? 'never' : duration(s.peer.lastSeenMs / 1000) + ' ago'],
          ['applied seq', num(s.peer.appliedSeq)],
          ['serving', peerServing ? 'yes' : 'no']])));
    } else {
      cards.push(el('div', {class: 'hub unsure', testid: 'hub-peer', 'data-status': 'NONE'},
        el('div', {class: 'name'}, 'no peer'), el('div', {class: 'sub'}, 'this hub runs alone (no quotahub.peer-id configured)')));
    }
    $('hubs').replaceChildren(el('div', {class: 'card', testid: 'serving', style: 'grid-column:1/-1'},
      el('h3', null, 'Serving now'), el('div', {style: 'font-size:1.1rem;font-weight:600'},
        serving.length ? serving.join(' and ') : 'no hub is ready')), ...cards);

    // quota use per pool: each (kind, window) summed over the pool's keys
    $('quota-summary').replaceChildren(...s.pools.map(p => {
      const groups = new Map();
      p.keys.forEach(k => k.limits.forEach(l => {
        const name = `${l.kind} / ${per(l.per, l.calendarDayZone)}`;
        const g = groups.get(name) || {kind: l.kind, used: 0, capacity: 0, budget: 0, remaining: 0};
        g.used += l.used; g.capacity += l.capacity; g.budget += l.budget; g.remaining += l.remaining;
        groups.set(name, g);
      }));
      const rows = [];
      p.limits.forEach((l, i) => rows.push(el('div', {class: 'limit'}, el('span', {class: 'label'}, `pool ${l.kind} / ${per(l.per, l.calendarDayZone)}`),
        useBar(l, `summary-pool-bar-${idPart(p.name)}-${i}`), el('span', {class: 'nums'}, `${num(l.used)} / ${num(l.capacity)}`))));
      let i = 0;
      groups.forEach((g, name) => rows.push(el('div', {class: 'limit'}, el('span', {class: 'label'}, name),
        useBar(g, `summary-bar-${idPart(p.name)}-${i++}`),
        el('span', {class: 'nums'}, `${num(g.used)} / ${num(g.capacity)} (${Math.round(100 * g.used / Math.max(1, g.capacity))} %)`))));
      return el('div', {class: 'pool', testid: 'summary-' + idPart(p.name)},
        el('h2', null, p.name, chip(p.thermal.zone), el('span', {class: 'muted'},
          `${p.preset} · ${p.keys.length} key${p.keys.length === 1 ? '' : 's'} · ${p.inFlight}/${p.maxConcurrent || '∞'} in flight`)),
        ...rows);
    }));
  }

  function renderSystem(sys) {
    if (!sys) {
      $('process').replaceChildren(el('span', {class: 'muted'}, 'CPU/memory not available (GET api/v1/system failed)'));
      return;
    }
    const cpu = sys.cpuLoad < 0 ? null : sys.cpuLoad;
    const heapMax = sys.heapMaxBytes > 0 ? sys.heapMaxBytes : null;
    const heapShare = heapMax ? sys.heapUsedBytes / heapMax : 0;
    $('process').replaceChildren(kv([
      ['CPU', cpu === null ? 'unknown' : (cpu * 100).toFixed(1) + ' %', 'cpu', {'data-cpu': cpu === null ? '' : cpu}],
      ['heap', `${bytes(sys.heapUsedBytes)} of ${heapMax ? bytes(heapMax) : 'no limit'}`, 'heap', {'data-heap-used': sys.heapUsedBytes}],
      ['non-heap', bytes(sys.nonHeapUsedBytes)],
      ['uptime', duration(sys.uptimeSeconds), 'uptime'],
    ]), el('div', {class: 'bar thin', style: 'margin-top:.45rem', title: 'heap used of max'},
      el('span', {class: 'fill fill-' + zoneOfUse(heapShare), style: `width:${(heapShare * 100).toFixed(1)}%`})));
  }

  // ---------- Thermal ----------
  /** A cooldown's length: 500ms, 2.5s, 1m 30s. */
  function cooldownText(ms) {
    if (ms < 1000) return Math.max(0, Math.round(ms)) + 'ms';
    return ms < 60000 && ms % 1000 ? (ms / 1000).toFixed(1) + 's' : duration(ms / 1000);
  }

  /** What is left of a key's cooldown, and what the next 429 without a Retry-After would cost (learned or the ladder's step). */
  function cooldownLine(k, testBase) {
    const left = k.cooldownUntil ? Math.max(0, Date.parse(k.cooldownUntil) - (Date.now() + skewMs)) : 0;
    const learned = k.learnedCooldownMs > 0;
    return el('div', {class: 'sub', style: 'margin-top:.3rem', testid: 'cooldown-line-' + testBase,
      title: 'a 429 right after a cooldown doubles the next one; successes halve it back to the ladder'},
      el('span', {testid: 'cooldown-left-' + testBase, 'data-ms': left, class: left > 0 ? 'c-ELEVATED' : null},
        left > 0 ? 'cooldown ' + cooldownText(left) + ' left' : 'no cooldown'),
      ' · next 429: ',
      el('span', {testid: 'next-cooldown-' + testBase, 'data-ms': k.nextCooldownMs}, cooldownText(k.nextCooldownMs)),
      ' ',
      el('span', {testid: 'learned-cooldown-' + testBase, 'data-ms': k.learnedCooldownMs, class: learned ? 'c-ELEVATED' : 'muted'},
        learned ? '(learned ' + cooldownText(k.learnedCooldownMs) + ')' : '(ladder)'));
  }

  function thermalCard(title, t, testBase, extra, coolingDown, key) {
    const rec = Math.max(0, Math.min(1, t.recoveryProgress || 0));
    return el('div', {class: 'gauge-card', testid: 'thermal-' + testBase},
      el('div', {class: 'title'}, el('span', {class: 'keyname'}, title), chip(t.zone, 'zone-' + testBase)),
      gauge(t.temperature, t.zone, 'temperature-' + testBase),
      el('div', {style: 'display:flex;justify-content:space-between;align-items:center;font-size:.85rem'},
        trendArrow(t.trend, 'trend-' + testBase),
        el('span', {class: 'flag ' + (t.throttled ? 'on' : coolingDown ? 'cool' : 'off'), testid: 'throttled-' + testBase,
          'data-throttled': String(t.throttled), title: coolingDown ? 'the provider asked for a pause (429)' : null},
          t.throttled ? 'THROTTLED' : coolingDown ? 'COOLDOWN' : 'not throttled')),
      el('div', {class: 'recovery'},
        el('div', null, t.throttled ? `recovery ${Math.round(rec * 100)} % of the window below the threshold` : 'recovery: not needed'),
        el('div', {class: 'bar thin', testid: 'recovery-' + testBase, 'data-progress': rec},
          el('span', {class: 'fill', style: `width:${(rec * 100).toFixed(1)}%`}))),
      el('div', {class: 'sub', style: 'margin-top:.3rem'},
        el('span', {testid: 'throttle-events-' + testBase, 'data-events': t.throttleEvents}, plural(t.throttleEvents, 'throttle event')),
        ` · health ${t.healthScore}`, extra ? ' · ' + extra : ''),
      key ? cooldownLine(key, testBase) : null);
  }

  function renderThermal(s) {
    const hub = el('div', {class: 'pool'}, el('h2', null, 'Hub ' + s.hubId),
      el('div', {class: 'gauges'}, thermalCard('hub ' + s.hubId, s.thermal, 'hub')));
    $('thermal').replaceChildren(hub, ...s.pools.map(p => el('div', {class: 'pool', testid: 'thermal-pool-' + idPart(p.name)},
      el('h2', null, 'pool ' + p.name, el('span', {class: 'muted'}, p.preset)),
      el('div', {class: 'gauges'},
        thermalCard('pool ' + p.name, p.thermal, 'pool-' + idPart(p.name)),
        ...p.keys.map(k => thermalCard(k.id, k.thermal, idPart(p.name) + '-' + idPart(k.id),
          k.disabled ? 'DISABLED' : k.circuit !== 'CLOSED' ? 'circuit ' + k.circuit : '', coolingDown(k), k))))));
  }

  const coolingDown = k => !!k.cooldownUntil && Date.parse(k.cooldownUntil) > Date.now() + skewMs;

  /** A lower limit the provider reported for a key's limit (and whether the hubs enforce it), or nothing. */
  function observed(l, testid) {
    if (l.observedLimit === null || l.observedLimit === undefined) {
      return null;
    }
    const enforced = l.enforced < l.capacity;
    return el('div', {class: 'c-ELEVATED', testid, 'data-observed': l.observedLimit, 'data-enforced': l.enforced,
      title: `the provider reported a limit of ${num(l.observedLimit)} (${l.observedAt || 'time unknown'}); configured ${num(l.capacity)}`},
      `provider says ${num(l.observedLimit)} (configured ${num(l.capacity)})` + (enforced ? ' · enforced' : ''));
  }

  // ---------- Quota ----------
  function renderQuota(s) {
    $('quota').replaceChildren(...s.pools.map(p => {
      const pid = idPart(p.name);
      const head = el('tr', null, ...['key', 'limits (fill: used by all hubs · mark: this hub\'s budget)', 'requests',
        'tokens left', 'throttle', 'state'].map(h => el('th', null, h)));
      const rows = p.keys.map(k => {
        const base = pid + '-' + idPart(k.id);
        const tokenLimits = k.limits.filter(l => l.kind === 'tokens');
        const tokensLeft = tokenLimits.length ? Math.min(...tokenLimits.map(l => l.remaining)) : null;
        return el('tr', {testid: 'quota-row-' + base},
          el('td', null, el('div', {class: 'keyname'}, k.id), chip(k.thermal.zone)),
          el('td', {class: 'limits'}, ...k.limits.map((l, i) => el('div', {class: 'limit'},
            el('span', {class: 'label'}, `${l.kind} / ${per(l.per, l.calendarDayZone)}`, modeFlag(l.mode, `mode-${base}-${i}`)),
            useBar(l, `quota-bar-${base}-${i}`),
            el('span', {class: 'nums'}, el('span', {testid: `quota-used-${base}-${i}`}, `${num(l.used)} / ${num(l.capacity)}`),
              el('br'), el('span', {class: 'muted'}, `budget ${num(l.budget)} · `), resetCell(l, `reset-${base}-${i}`),
              observed(l, `observed-${base}-${i}`)))),
            el('div', {class: 'limit'}, el('span', {class: 'label'}, 'concurrent'),
              el('span', {class: 'nums'}, `${k.inFlight} / ${k.maxConcurrent || '∞'} in flight`))),
          el('td', {class: 'num'}, kv([
            ['granted', num(k.granted), 'granted-' + base, {'data-value': k.granted}],
            ['refused', num(k.refused), 'refused-' + base, {'data-value': k.refused}],
            ['429s', num(k.rateLimited), 'rate-limited-' + base],
            ['errors', num(k.errors), 'errors-' + base],
            ['used elsewhere', num(k.externalUse), 'external-' + base, {'data-value': k.externalUse}]])),
          el('td', {class: 'num', testid: 'tokens-left-' + base, 'data-value': tokensLeft === null ? '' : tokensLeft},
            tokensLeft === null ? '—' : num(tokensLeft), tokensLeft === null ? null : el('div', {class: 'sub'}, 'of this hub\'s budget')),
          el('td', {class: 'num'}, el('span', {testid: 'quota-throttle-events-' + base}, plural(k.thermal.throttleEvents, 'event')),
            el('br'), k.thermal.throttled ? el('span', {class: 'flag on'}, 'THROTTLED') : el('span', {class: 'muted'}, 'not throttled')),
          el('td', {class: 'state'}, el('div', null, 'circuit ', el('b', null, k.circuit)), el('div', null, 'health ', el('b', null, k.health)),
            k.disabled ? el('div', {class: 'c-CRITICAL'}, 'DISABLED') : null,
            k.cooldownUntil ? el('div', {class: 'c-ELEVATED'}, 'cooldown ', resetCell({resetAt: k.cooldownUntil}, 'cooldown-' + base, 'ends in')) : null));
      });
      const poolLimits = p.limits.map((l, i) => el('div', {class: 'limit'},
        el('span', {class: 'label'}, `pool ${l.kind} / ${per(l.per, l.calendarDayZone)}`, modeFlag(l.mode, `mode-${pid}-pool-${i}`)),
        useBar(l, `quota-pool-bar-${pid}-${i}`),
        el('span', {class: 'nums'}, `${num(l.used)} / ${num(l.capacity)} · `, resetCell(l))));
      return el('div', {class: 'pool', testid: 'quota-pool-' + pid},
        el('h2', null, 'pool ' + p.name, chip(p.thermal.zone), el('span', {class: 'muted'}, p.preset),
          modeFlag(p.mode, 'mode-' + pid)),
        p.fallback.length ? el('div', {class: 'sub', testid: 'fallback-' + pid}, 'falls back to ' + p.fallback.join(' → ')) : null,
        ...poolLimits, el('table', {class: 'grid'}, el('thead', null, head), el('tbody', null, ...rows)),
        shadowTable(p, s.shadowRefusals.filter(r => r.pool === p.name)));
    }));
  }

  /** A pool's or limit's mode when it is not simply enforced: what is only watched. */
  function modeFlag(mode, testid) {
    return mode && mode !== 'enforce' ? el('span', {class: 'flag cool', testid, 'data-mode': mode}, mode) : null;
  }

  /** What the pool's shadow or canary mode would have refused, per key and code (both hubs' grants). */
  function shadowTable(p, refusals) {
    const watched = p.mode !== 'enforce' || p.limits.some(l => l.mode !== 'enforce')
      || p.keys.some(k => k.limits.some(l => l.mode !== 'enforce'));
    if (!watched && !refusals.length) {
      return null;
    }
    const pid = idPart(p.name);
    const head = el('tr', null, ...['key', 'would have refused', 'grants', 'latest'].map(h => el('th', null, h)));
    const rows = refusals.map(r => el('tr', {testid: `shadow-row-${pid}-${idPart(r.keyId)}-${r.code}`},
      el('td', null, r.keyId), el('td', null, el('b', null, r.code), r.limit ? el('div', {class: 'sub'}, r.limit) : null),
      el('td', {class: 'num', testid: `shadow-count-${pid}-${idPart(r.keyId)}-${r.code}`, 'data-value': r.count}, num(r.count)),
      el('td', {class: 'sub'}, `${r.lastReason} (hub ${r.lastHub}, ${r.lastAt})`)));
    return el('div', {class: 'shadow', testid: 'shadow-' + pid},
      el('h3', null, 'shadow refusals ', el('span', {class: 'muted'}, 'granted, but enforcing would have refused them')),
      rows.length ? el('table', {class: 'grid'}, el('thead', null, head), el('tbody', null, ...rows))
        : el('div', {class: 'muted', testid: 'shadow-none-' + pid}, 'none so far'));
  }

  // ---------- Diagnostics ----------
  function diagMessage(kind, text) {
    const m = $('diag-message');
    m.textContent = text;
    m.dataset.kind = kind;
    m.className = 'banner' + (kind === 'missing' ? ' info' : '');
  }

  async function runDiagnostics() {
    const level = $('diag-level').value;
    const button = $('diag-run');
    button.disabled = true;
    $('diag-status').textContent = `running ${level} diagnostics…`;
    $('diag-message').className = 'banner hidden';
    const started = performance.now();
    try {
      const r = await fetch(`${DIAGNOSTICS_URL}?level=${encodeURIComponent(level)}`, {headers: apiHeaders(), cache: 'no-store'});
      if (r.status === 401 || r.status === 403) {
        clearDiagnostics();
        askForToken(r.status);
        diagMessage('failed', `Diagnostics need a VIEWER or OPERATOR token: HTTP ${r.status}. Enter one above and press Run again.`);
        $('diag-status').textContent = 'token needed';
        return;
      }
      if (r.status === 404) {
        clearDiagnostics();
        diagMessage('missing', 'Diagnostics are not available on this hub: GET api/v1/diagnostics answered 404 Not Found. ' +
          'This hub version has no diagnostics endpoint; the other tabs are unaffected.');
        $('diag-status').textContent = 'not available';
        return;
      }
      const text = await r.text();
      if (!r.ok) {
        clearDiagnostics();
        diagMessage('failed', `Diagnostics failed: HTTP ${r.status} ${r.statusText}. ${text.slice(0, 300)}`);
        $('diag-status').textContent = 'failed';
        return;
      }
      let report;
      try { report = JSON.parse(text); } catch (e) { report = null; }
      if (!report || !Array.isArray(report.checks)) {
        clearDiagnostics();
        diagMessage('failed', 'Diagnostics failed: the hub answered something that is not a diagnostics report.');
        $('diag-status').textContent = 'failed';
        return;
      }
      renderDiagnostics(report);
      const taken = report.takenAt ? new Date(Date.parse(report.takenAt)).toLocaleTimeString() : new Date().toLocaleTimeString();
      $('diag-status').textContent = report.cached
        ? `${report.level || level} taken at ${taken} (cached; answered in ${Math.round(performance.now() - started)} ms)`
        : `${report.level || level} run at ${taken} in ${Math.round(performance.now() - started)} ms`;
    } catch (e) {
      clearDiagnostics();
      diagMessage('failed', 'Diagnostics failed: cannot reach the hub (' + e.message + ').');
      $('diag-status').textContent = 'failed';
    } finally {
      button.disabled = false;
    }
  }

  function clearDiagnostics() {
    $('diag-summary').replaceChildren();
    $('diag-rows').replaceChildren();
    $('diag-table').classList.add('hidden');
  }

  // 0.999 -> "99.9 %", 0.8 -> "80 %"
  function confidence(ratio) {
    return `${parseFloat((ratio * 100).toFixed(1))} %`;
  }

  function renderDiagnostics(report) {
    const checks = report.checks;
    const count = st => checks.filter(c => c.status === st).length;
    const sum = report.summary || {};
    const run = sum.run ?? checks.length, passed = sum.passed ?? count('PASS'), warned = sum.warned ?? count('WARN'),
      failed = sum.failed ?? count('FAIL');
    const box = (label, value, cls, testid) => el('div', {class: 'card', testid, 'data-value': value},
      el('h3', null, label), el('div', {class: 'big ' + cls}, value));
    $('diag-summary').replaceChildren(
      box('level', report.level || $('diag-level').value, '', 'diag-level-run'),
      box('confidence', typeof report.confidence === 'number' ? confidence(report.confidence) : '–', '', 'diag-confidence'),
      box('run', run, '', 'diag-run-count'),
      box('passed', passed, 'c-OPTIMAL', 'diag-passed'),
      box('warned', warned, 'c-ELEVATED', 'diag-warned'),
      box('failed', failed, 'c-CRITICAL', 'diag-failed'));
    $('diag-rows').replaceChildren(...checks.map(c => el('tr', {class: 'status-' + c.status, testid: 'diag-row-' + idPart(c.name),
      'data-status': c.status},
      el('td', {class: 'keyname'}, c.name),
      el('td', null, el('span', {class: 'chip ' + c.status}, c.status)),
      el('td', null, c.detail || ''),
      el('td', null, c.recommendation || ''))));
    $('diag-table').classList.remove('hidden');
  }

  // ---------- history: sparklines of the last minutes ----------
  // Each series (a limit's utilisation, a temperature) keeps its last samples in a bounded ring held by
  // this page only (the hub keeps no history): a reload starts empty. A series whose key or limit is no
  // longer in the state is dropped. Drawn after the tabs render, next to the bar or gauge it
  // belongs to (found by its data-testid), so the tab renderers stay as they are.
  const HISTORY_MS = 10 * 60 * 1000;
  const HISTORY_MAX = Math.min(600, Math.ceil(HISTORY_MS / POLL_MS));
  const SPARK_W = 96, SPARK_H = 22;
  const seriesHistory = new Map();   // series id -> ring of {t, v}

  /** The state is polled every 2 s; ?poll=<ms> (250–60000) changes that for tests and demos. */
  function pollInterval() {
    const ms = Number(new URLSearchParams(location.search).get('poll'));
    return Number.isInteger(ms) && ms >= 250 && ms <= 60000 ? ms : 2000;
  }

  function ring(capacity) {
    return {items: new Array(capacity), start: 0, size: 0};
  }

  function ringPush(r, item) {
    const capacity = r.items.length;
    r.items[(r.start + r.size) % capacity] = item;
    if (r.size < capacity) r.size++;
    else r.start = (r.start + 1) % capacity;
  }

  /** The ring's samples, oldest first, no older than the history window. */
  function ringSamples(r, now) {
    const out = [];
    for (let i = 0; i < r.size; i++) {
      const item = r.items[(r.start + i) % r.items.length];
      if (item.t >= now - HISTORY_MS) out.push(item);
    }
    return out;
  }

  const limitName = l => `${l.kind} / ${per(l.per, l.calendarDayZone)}`;
  const useOf = l => l.used / Math.max(1, l.capacity);

  /**
   * Every series in a state: its id, its value now, how to read it, and the data-testids of the bars
   * or gauges it is drawn next to (the same ids the tab renderers give them).
   */
  function historySeries(s) {
    const list = [];
    const temp = (id, label, t, testid) => list.push({id: JSON.stringify(['temp', ...id]), value: t.temperature,
      unit: 'temp', label: 'temperature of ' + label, testids: [testid]});
    const use = (id, label, value, testids) => list.push({id: JSON.stringify(['use', ...id]), value,
      unit: 'use', label: 'use of ' + label, testids});
    temp([], 'hub ' + s.hubId, s.thermal, 'temperature-hub');
    for (const p of s.pools) {
      const pid = idPart(p.name);
      temp([p.name], 'pool ' + p.name, p.thermal, 'temperature-pool-' + pid);
      p.limits.forEach((l, i) => use([p.name, '', i, limitName(l)], `pool ${p.name}, ${limitName(l)}`, useOf(l),
        [`summary-pool-bar-${pid}-${i}`, `quota-pool-bar-${pid}-${i}`]));
      // the Overview's bars per (kind, window) summed over the pool's keys, in the Overview's order
      const groups = new Map();
      p.keys.forEach(k => k.limits.forEach(l => {
        const g = groups.get(limitName(l)) || {used: 0, capacity: 0};
        g.used += l.used; g.capacity += l.capacity;
        groups.set(limitName(l), g);
      }));
      let gi = 0;
      groups.forEach((g, name) => use([p.name, '*', name], `pool ${p.name}, ${name} (all keys)`, useOf(g),
        [`summary-bar-${pid}-${gi++}`]));
      for (const k of p.keys) {
        const base = pid + '-' + idPart(k.id);
        temp([p.name, k.id], 'key ' + k.id, k.thermal, 'temperature-' + base);
        k.limits.forEach((l, i) => use([p.name, k.id, i, limitName(l)], `key ${k.id}, ${limitName(l)}`, useOf(l),
          [`quota-bar-${base}-${i}`]));
      }
    }
    return list;
  }

  /** One sample per series; series that left the state are dropped. */
  function recordHistory(s, now) {
    const seen = new Set();
    for (const series of historySeries(s)) {
      let r = seriesHistory.get(series.id);
      if (!r) seriesHistory.set(series.id, r = ring(HISTORY_MAX));
      ringPush(r, {t: now, v: series.value});
      seen.add(series.id);
    }
    for (const id of seriesHistory.keys()) {
      if (!seen.has(id)) seriesHistory.delete(id);
    }
    document.body.dataset.historySeries = String(seriesHistory.size);
    document.body.dataset.historyMax = String(HISTORY_MAX);
  }

  const sparkValue = (unit, v) => unit === 'use' ? Math.round(v * 100) + ' %' : v.toFixed(1) + '°';

  /** What a sparkline shows, in words: its title and its label for screen readers. */
  function sparkText(series, samples) {
    if (!samples.length) return series.label + ': no history yet';
    const values = samples.map(p => p.v);
    const span = (samples[samples.length - 1].t - samples[0].t) / 1000;
    return `${series.label}, last ${duration(span)}: now ${sparkValue(series.unit, values[values.length - 1])}, ` +
      `min ${sparkValue(series.unit, Math.min(...values))}, max ${sparkValue(series.unit, Math.max(...values))}`;
  }

  /** An inline SVG line of the samples: time left to right, 0–100 (% or degrees) bottom to top. */
  function sparkline(series, samples, testid) {
    const text = sparkText(series, samples);
    const last = samples.length ? samples[samples.length - 1].v : 0;
    const zone = series.unit === 'use' ? zoneOfUse(last) : zoneOfUse(last / 100);
    const g = svg('svg', {class: 'spark', viewBox: `0 0 ${SPARK_W} ${SPARK_H}`, width: SPARK_W, height: SPARK_H,
      role: 'img', 'aria-label': text, 'data-testid': testid, 'data-points': samples.length,
      'data-last': samples.length ? last : ''});
    const title = svg('title');
    title.textContent = text;
    g.append(title, svg('line', {class: 'base', x1: 0, y1: SPARK_H - 1, x2: SPARK_W, y2: SPARK_H - 1}));
    if (!samples.length) return g;
    const t0 = samples[0].t, span = Math.max(1, samples[samples.length - 1].t - t0);
    const scale = series.unit === 'use' ? 1 : 100;
    const xy = samples.map(p => [
      samples.length === 1 ? SPARK_W - 3 : 2 + (p.t - t0) / span * (SPARK_W - 5),
      SPARK_H - 2 - Math.max(0, Math.min(1, p.v / scale)) * (SPARK_H - 4)]);
    if (xy.length > 1) {
      g.append(svg('polyline', {class: 'line stroke-' + zone, points: xy.map(([x, y]) => x.toFixed(1) + ',' + y.toFixed(1)).join(' ')}));
    }
    const [x, y] = xy[xy.length - 1];
    g.append(svg('circle', {class: 'dot stroke-' + zone, cx: x.toFixed(1), cy: y.toFixed(1), r: 2}));
    return g;
  }

  /** Puts the sparkline beside a bar (both in one cell) or under a gauge. */
  function attachSpark(target, spark) {
    if (target.classList.contains('bar')) {
      const cell = el('div', {class: 'bar-cell'});
      target.replaceWith(cell);
      cell.append(target, spark);
    } else {
      target.after(el('div', {class: 'spark-row'}, el('span', null, 'history'), spark));
    }
  }

  function addSparklines(s) {
    const byTestId = new Map();
    for (const e of document.querySelectorAll('[data-testid]')) byTestId.set(e.getAttribute('data-testid'), e);
    const now = Date.now();
    for (const series of historySeries(s)) {
      const r = seriesHistory.get(series.id);
      const samples = r ? ringSamples(r, now) : [];
      for (const testid of series.testids) {
        const target = byTestId.get(testid);
        if (target) attachSpark(target, sparkline(series, samples, 'spark-' + testid));
      }
    }
  }

  // ---------- render timing ----------
  // Performance marks of the first state this page shows (a handful per page load, never one per poll):
  //   quotahub:state-to-render      the first state in hand → every tab built (script time)
  //   quotahub:state-to-paint       the same → the next frame painted (style, layout and paint of the shown tab)
  //   quotahub:navigation-to-paint  navigation start → that frame (files, both requests, render, paint)
  function markFirstState() {
    if (!performance.getEntriesByName('quotahub:first-state').length) performance.mark('quotahub:first-state');
  }

  function timeFirstRender() {
    if (performance.getEntriesByName('quotahub:first-render').length) return;
    performance.mark('quotahub:first-render');
    performance.measure('quotahub:state-to-render', 'quotahub:first-state', 'quotahub:first-render');
    requestAnimationFrame(() => setTimeout(() => {
      performance.mark('quotahub:first-paint');
      performance.measure('quotahub:state-to-paint', 'quotahub:first-state', 'quotahub:first-paint');
      performance.measure('quotahub:navigation-to-paint', undefined, 'quotahub:first-paint');
    }, 0));
  }

  // ---------- token ----------
  function storedToken() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
  }

  function storeToken(token) {
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage off: the token lives until the next poll asks again */ }
  }

  function apiHeaders() {
    const token = storedToken();
    return token ? {Accept: 'application/json', Authorization: 'Bearer ' + token} : {Accept: 'application/json'};
  }

  /** An answer that says a token is needed (401) or that this token's role may not read it (403). */
  class NeedsToken extends Error {}

  /** Shows the token form; a rejected token is forgotten so it is not sent again. */
  function askForToken(status) {
    const form = $('auth');
    const had = !!storedToken();
    let reason = status === 403 ? 'forbidden' : had ? 'rejected' : 'missing';
    if (status === 401 && had) storeToken('');
    if (!form.classList.contains('hidden') && reason === 'missing') reason = form.dataset.reason || reason;
    form.dataset.reason = reason;
    $('auth-message').textContent = reason === 'forbidden' ? 'This token may not read the hub\'s state: a VIEWER or OPERATOR token is needed.'
      : reason === 'rejected' ? 'The hub did not accept that token.' : 'This hub needs a token to show its state.';
    document.body.dataset.auth = 'needed';
    if (!lastState) $('ready').textContent = 'token needed';
    $('auth-forget').classList.add('hidden');
    if (form.classList.contains('hidden')) {
      form.classList.remove('hidden');
      $('auth-token').focus();
    }
  }

  function tokenAccepted() {
    $('auth').classList.add('hidden');
    document.body.dataset.auth = storedToken() ? 'token' : 'none';
    $('auth-forget').classList.toggle('hidden', !storedToken());
  }

  // ---------- polling ----------
  function updateFreshness() {
    const u = $('updated');
    if (!lastOk) return;
    const age = Date.now() - lastOk;
    u.textContent = 'updated ' + (age < 1500 ? 'just now' : Math.round(age / 1000) + ' s ago');
    u.classList.toggle('stale', age > STALE_MS);
  }

  function render() {
    const s = lastState;
    if (!s) return;
    const t0 = performance.now();
    if (Array.isArray(s.zoneBounds) && s.zoneBounds.length === 4) zoneBounds = s.zoneBounds;
    $('hub-id').textContent = s.hubId;
    document.title = 'QuotaHub · ' + s.hubId;
    const ready = $('ready');
    ready.textContent = s.ready ? 'READY' : 'NOT READY: ' + (s.notReadyReason || '?');
    ready.className = 'badge ' + (s.ready ? 'ok' : 'bad');
    ready.dataset.ready = String(s.ready);
    renderOverview(s);
    renderSystem(lastSystem);
    renderThermal(s);
    renderQuota(s);
    addSparklines(s);
    const ms = performance.now() - t0;
    document.body.dataset.renderMs = ms.toFixed(1);
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
    timeFirstRender();
  }

  async function getJson(url) {
    const r = await fetch(url, {headers: apiHeaders(), cache: 'no-store'});
    if (r.status === 401 || r.status === 403) {
      askForToken(r.status);
      throw new NeedsToken(`${url}: HTTP ${r.status}`);
    }
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    return r.json();
  }

  /**
   * The hub's JSON leaves out empty lists, empty maps and nulls (Micronaut Serialization's default),
   * so fill them in once here and render from a complete shape.
   */
  function normalise(s) {
    const thermal = t => Object.assign({zone: 'OPTIMAL', temperature: 0, trend: 'STABLE', healthScore: 100, throttled: false,
      recoveryProgress: 0, throttleEvents: 0}, t || {});
    const limit = l => Object.assign({kind: 'requests', capacity: 0, per: '', calendarDayZone: null, used: 0, budget: 0,
      remaining: 0, resetAt: null, observedLimit: null, observedAt: null, enforced: (l || {}).capacity || 0, mode: 'enforce'}, l);
    s.pools = (s.pools || []).map(p => Object.assign({limits: [], inFlight: 0, maxConcurrent: 0, mode: 'enforce', fallback: []}, p, {
      thermal: thermal(p.thermal),
      limits: (p.limits || []).map(limit),
      keys: (p.keys || []).map(k => Object.assign({circuit: 'CLOSED', health: 'HEALTHY', inFlight: 0, maxConcurrent: 0,
        cooldownUntil: null, disabled: false, granted: 0, refused: 0, rateLimited: 0, errors: 0, externalUse: 0,
        cooldownMs: 0, nextCooldownMs: 0, learnedCooldownMs: 0}, k, {
        thermal: thermal(k.thermal), limits: (k.limits || []).map(limit)})),
    }));
    s.thermal = thermal(s.thermal);
    s.agents = s.agents || {};
    s.shadowRefusals = s.shadowRefusals || [];
    s.openLeases = s.openLeases || 0;
    s.peer = s.peer ? Object.assign({replicationLagMs: 0, lastSeenMs: 0, appliedSeq: 0}, s.peer) : null;
    return s;
  }

  async function refresh() {
    const [state, system] = await Promise.allSettled([getJson(STATE_URL), getJson(SYSTEM_URL)]);
    lastSystem = system.status === 'fulfilled' ? Object.assign({cpuLoad: -1, heapUsedBytes: 0, heapMaxBytes: -1,
      nonHeapUsedBytes: 0, uptimeSeconds: 0}, system.value) : null;
    if (state.status === 'fulfilled') {
      tokenAccepted();
      lastState = normalise(state.value);
      lastOk = Date.now();
      skewMs = Date.parse(lastState.at) - lastOk;
      if (!Number.isFinite(skewMs)) skewMs = 0;
      $('error').className = 'banner hidden';
      markFirstState();
      recordHistory(lastState, lastOk);
      try {
        render();
      } catch (e) {
        showError('cannot show the state: ' + e.message);
      }
    } else if (!(state.reason instanceof NeedsToken)) {
      showError('cannot reach the hub (' + state.reason.message + '); showing the last known state');
    }
    updateFreshness();
  }

  function showError(text) {
    const e = $('error');
    e.textContent = text;
    e.className = 'banner';
  }

  function start() {
    for (const t of TABS) $('tab-' + t).addEventListener('click', () => showTab(t));
    $('diag-run').addEventListener('click', runDiagnostics);
    $('auth').addEventListener('submit', e => {
      e.preventDefault();
      const token = $('auth-token').value.trim();
      $('auth-token').value = '';
      if (!token) return;
      storeToken(token);
      $('auth-message').textContent = 'checking…';
      refresh();
    });
    $('auth-forget').addEventListener('click', () => {
      storeToken('');
      refresh();
    });
    document.body.dataset.auth = storedToken() ? 'token' : 'none';
    window.addEventListener('hashchange', () => showTab(location.hash.slice(1)));
    showTab(location.hash.slice(1));
    refresh();
    setInterval(refresh, POLL_MS);
    setInterval(tickCountdowns, 1000);
  }

  start();
})();
