/*! Reactions widget. Contract: README, "Embedding the widget". */
(() => {
  'use strict';
  if (window.Reactions) return; // loaded twice: the first copy rules

  const warn = (...args) => console.warn('[reactions]', ...args);
  // A guest never throws into the host page.
  const guard = (fn) => (...args) => {
    try { return fn(...args); } catch (e) { warn(e); }
  };
  const DEFAULTS = [
    ['love', 'Love It', '😍'],
    ['like', 'Like It', '👍'],
    ['want', 'Want It', '🤩'],
    ['had', 'Had It', '😤'],
    ['hated', 'Hated It', '😡'],
  ];
  const CC = /[\0-\x1f\x7f-\x9f]/; // refused by the service

  // The service is where this script came from (currentScript is set only now).
  let origin = location.origin;
  guard(() => (origin = new URL(document.currentScript.src).origin))();

  // Storage may be blocked: then memory, for the page's life.
  const memory = {};
  const load = (key) => {
    try { return memory[key] ?? localStorage.getItem(key); } catch {}
  };
  const store = (key, value) => {
    memory[key] = value;
    try { value ? localStorage.setItem(key, value) : localStorage.removeItem(key); } catch {}
  };

  function reader() {
    let token = load('reactions:reader');
    if (!/^[\w-]{16,64}$/.test(token)) {
      token = Array.from(crypto.getRandomValues(new Uint8Array(20)), (b) => b.toString(36)).join('');
      store('reactions:reader', token);
    }
    return token;
  }

  function config(el) {
    const d = el.dataset;
    const canonical = document.querySelector('link[rel=canonical]')?.href;
    // Not location.href: its query string may carry a reader's newsletter token or e-mail.
    const url = d.url || canonical || location.origin + location.pathname;
    return {
      el,
      site: d.site,
      article: d.article || (canonical ? new URL(canonical).pathname : location.pathname),
      title: Array.from((d.title ?? document.title).replace(/[\s\0-\x1f\x7f-\x9f]+/g, ' ').trim()).slice(0, 300).join(''),
      url: /^https?:\/\/[^\s\0-\x1f\x7f-\x9f]{1,2040}$/.test(url) ? url : undefined,
      endpoint: `${(d.api || origin).replace(/\/+$/, '')}/v1/sites/${d.site}/reactions`,
      signature: d.signature || undefined,
    };
  }

  const STYLES = `
:host { display: block; margin: 1.5em 0; color-scheme: light dark;
  --_text: var(--reactions-text, light-dark(#1f2328, #e6edf3));
  --_surface: var(--reactions-surface, light-dark(#f6f8fa, #1c2128));
  --_border: var(--reactions-border, light-dark(#d1d9e0, #3d444d));
  --_accent: var(--reactions-accent, light-dark(#d6336c, #ff6b8b)) }
:host([data-theme=light]) { color-scheme: light }
:host([data-theme=dark]) { color-scheme: dark }
h2 { margin: 0 0 .6em; font-size: 1.15em }
div { display: grid; grid-template-columns: repeat(auto-fit, minmax(5.5em, 1fr)); gap: .5em; font-size: .85em }
button { display: grid; justify-items: center; gap: .2em; padding: .7em .3em; font: inherit; color: var(--_text);
  background: var(--_surface); border: 1px solid var(--_border); border-radius: .75em; cursor: pointer }
button:hover, [aria-pressed=true] { border-color: var(--_accent) }
:focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px }
[aria-pressed=true] { background: color-mix(in srgb, var(--_accent) 20%, var(--_surface)) }
[aria-hidden] { font-size: 2em; opacity: 1 }
span, small, p { opacity: .75 }
strong { font-size: 1.3em }
p { min-height: 1.4em; margin: .5em 0 0; font-size: .85em }
@media (prefers-reduced-motion: no-preference) { button { transition: .2s } }`;
  let sheet; // constructed sheets pass a strict CSP

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const name in attrs) el.setAttribute(name, attrs[name]);
    el.append(...children);
    return el;
  }

  const mounted = new WeakSet();
  const queue = [];

  const mount = guard((el) => {
    if (mounted.has(el)) return;
    const w = config(el);
    // A bad id would spoil the page's counts request; scan() may retry it.
    const bytes = new Blob([w.article]).size;
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(w.site) || !bytes || bytes > 512 || CC.test(w.article)) {
      return warn('bad data-site or data-article', el);
    }
    mounted.add(el);
    if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(STYLES);
    const root = el.shadowRoot || el.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = [sheet];
    root.replaceChildren(h('h2', {}, "What's your reaction?"), (w.grid = h('div')), (w.status = h('p', { role: 'status' })));
    w.grid.addEventListener('click', guard((event) => {
      const button = event.target.closest('button');
      if (button && !button.disabled) choose(w, button.dataset.reaction);
    }));
    build(w, DEFAULTS); // room taken now: no jump later
    if (!queue.length) queueMicrotask(flush);
    queue.push(w);
  });

  function build(w, reactions) {
    w.reactions = reactions.map(([key, label, emoji]) => {
      const r = { key, label, count: h('strong', { 'data-count': '' }, '–'), share: h('small', {}, ' ') };
      r.button = h('button', { type: 'button', 'data-reaction': key, 'aria-pressed': false, disabled: '' },
        h('span', { 'aria-hidden': true }, emoji), h('span', {}, label),
        r.count, r.share);
      return r;
    });
    w.grid.replaceChildren(...w.reactions.map((r) => r.button));
  }

  function show(w, counts, mine) {
    w.counts = counts;
    w.mine = mine;
    const total = w.reactions.reduce((sum, r) => sum + counts[r.key], 0);
    w.reactions.forEach((r) => {
      const n = counts[r.key];
      const pct = total && Math.round((100 * n) / total);
      r.count.textContent = n;
      r.share.textContent = `${pct}%`;
      r.button.disabled = false;
      r.button.setAttribute('aria-pressed', r.key === mine);
      r.button.setAttribute('aria-label', `${r.label}, ${n}, ${pct}%`);
    });
  }

  // One GET per endpoint, split at 100 ids or a 7000-byte URL.
  const flush = guard(() => {
    const open = {};
    const batches = [];
    for (const w of queue.splice(0)) {
      const part = `article=${encodeURIComponent(w.article)}&`;
      let b = open[w.endpoint];
      if (!b || b.ws.length > 99 || (b.url + part).length > 7000) {
        batches.push((b = open[w.endpoint] = { url: `${w.endpoint}?`, ws: [] }));
      }
      b.url += part;
      b.ws.push(w);
    }
    for (const b of batches) fetchCounts(b.url.slice(0, -1), b.ws);
  });

  async function request(url, options) {
    const response = await fetch(url, { credentials: 'omit', ...options });
    const data = await response.json();
    if (!response.ok) throw Error(data.error?.message || response.status);
    return data;
  }

  const mineKey = (w) => `reactions:${w.site}:${w.article}`;

  async function fetchCounts(url, ws) {
    try {
      // Revalidate with the ETag; no token, so it stays cacheable.
      const data = await request(url, { cache: 'no-cache' });
      for (const w of ws) {
        const counts = {};
        const got = data.articles[w.article].counts;
        build(w, data.reactions.map((r) => (counts[r.key] = got[r.key] || 0, [r.key, r.label, r.emoji])));
        let mine = load(mineKey(w));
        if (!(mine in counts)) mine = null;
        else counts[mine] ||= 1; // a cache may predate the click
        show(w, ...(w.saved = [counts, mine]));
      }
    } catch (e) {
      warn('could not load the counts:', e);
      for (const w of ws) w.status.textContent = 'Reactions are unavailable right now.';
    }
  }

  function choose(w, key) {
    const next = w.mine === key ? null : key; // the pressed button withdraws
    const counts = { ...w.counts };
    if (w.mine) counts[w.mine]--;
    if (next) counts[next]++;
    show(w, counts, next);
    w.status.textContent = '';
    // One POST at a time; clicks meanwhile leave their last intent.
    w.want = next;
    if (!w.busy) save(w);
  }

  async function save(w) {
    w.busy = true;
    try {
      while (w.want !== undefined) {
        const body = { article: w.article, reader: reader(), reaction: w.want, title: w.title || undefined, url: w.url, signature: w.signature };
        w.want = undefined;
        // A string body is text/plain: no preflight.
        const data = await request(w.endpoint, { method: 'POST', body: JSON.stringify(body) });
        w.saved = [data.counts, data.mine];
        store(mineKey(w), data.mine);
        if (w.want === undefined) {
          show(w, data.counts, data.mine);
          const label = w.reactions.find((r) => r.key === data.mine)?.label;
          w.status.textContent = label ? `You chose ${label}.` : 'Reaction removed.';
          const detail = { site: w.site, article: w.article, reaction: data.mine, counts: data.counts };
          w.el.dispatchEvent(new CustomEvent('reactions:change', { bubbles: true, composed: true, detail }));
        }
      }
    } catch (e) {
      warn('could not save the reaction:', e);
      w.want = undefined;
      show(w, ...w.saved);
      w.status.textContent = 'Could not save your reaction. Please try again.';
    }
    w.busy = false;
  }

  function scan(root = document) {
    if (root.matches?.('[data-reactions]')) mount(root);
    root.querySelectorAll('[data-reactions]').forEach(mount);
  }

  const start = guard(() => {
    scan();
    new MutationObserver(guard((records) => {
      for (const record of records) for (const node of record.addedNodes) node.nodeType === 1 && scan(node);
    })).observe(document.documentElement, { childList: true, subtree: true });
  });

  window.Reactions = { scan: guard(() => scan()) };
  // The whole document: its widgets share one request.
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
