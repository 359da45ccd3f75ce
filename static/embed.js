/*! Reactions widget: docs/embedding.md */
(() => {
'use strict';
if (window.Reactions) return;

const warn = (...a) => console.warn('[reactions]', ...a);
const guard = (f) => (...a) => {
try { return f(...a); } catch (e) { warn(e); }
};
const KEYS = 'love like want had hated'.split(' ');
const EMOJI = [...'😍👍🤩😤😡'];
const EN = {
heading: "What's your reaction?", chose: 'You chose {}.', removed: 'Reaction removed.',
closed: 'Reactions are closed.', down: 'Reactions are unavailable right now.',
failed: 'Could not save your reaction. Please try again.', total: 'Reactions',
love: 'Love It', like: 'Like It', want: 'Want It', had: 'Had It', hated: 'Hated It',
};
const origin = new URL(document.currentScript?.src || location).origin;

const memory = {};
const load = (k) => {
try { return memory[k] ?? localStorage.getItem(k); } catch {}
};
const store = (k, v) => {
memory[k] = v;
try { v ? localStorage.setItem(k, v) : localStorage.removeItem(k); } catch {}
};
const reader = () => {
let t = load('reactions:reader');
if (!/^[\w-]{16,64}$/.test(t)) store('reactions:reader', (t = crypto.getRandomValues(new Uint8Array(20)).join('')));
return t;
};

function config(el) {
const d = el.dataset;
const canonical = document.querySelector('link[rel=canonical]')?.href;
const url = d.url || canonical || location.origin + location.pathname;
const article = d.article || (canonical ? new URL(canonical).pathname : location.pathname);
let lang = 'en';
try { [lang] = Intl.getCanonicalLocales(d.lang || el.closest('[lang]')?.lang || lang); } catch {}
const api = (d.api || origin).replace(/\/+$/, '');
// What every POST of this widget sends besides the reader and the reaction.
const post = {
article,
title: Array.from((d.title ?? document.title).replace(/[\s\0-\x1f\x7f-\x9f]+/g, ' ').trim()).slice(0, 300).join('') || undefined,
url: /^https?:\/\/[^\s\0-\x1f\x7f-\x9f]{1,2040}$/.test(url) ? url : undefined,
signature: d.signature,
};
return {
el, api, article, site: d.site, lang: lang.length > 35 ? 'en' : lang,
summary: d.mode == 'summary', href: d.url && post.url,
key: `reactions:${d.site}:${article}`,
endpoint: `${api}/v1/sites/${d.site}/reactions`,
post,
};
}

const STYLES = `:host{display:block;margin:1.5em 0;color-scheme:light dark;--_s:var(--reactions-surface,light-dark(#f6f8fa,#1c2128));--_a:var(--reactions-accent,light-dark(#d6336c,#ff6b8b))}
:host([data-mode=summary]){display:inline;margin:0}
:host([data-theme=light]){color-scheme:light}
:host([data-theme=dark]){color-scheme:dark}
a{color:inherit}
h2{margin:0 0 .6em;font-size:1.15em}
div{display:grid;grid-template-columns:repeat(auto-fit,minmax(5.5em,1fr));gap:.5em;font-size:.85em}
button{display:grid;justify-items:center;gap:.2em;padding:.7em .3em;font:inherit;color:var(--reactions-text,light-dark(#1f2328,#e6edf3));background:var(--_s);border:1px solid var(--reactions-border,light-dark(#d1d9e0,#3d444d));border-radius:.75em;cursor:pointer}
:hover,[aria-pressed=true]{border-color:var(--_a)}
:focus-visible{outline:2px solid var(--_a);outline-offset:2px}
[aria-pressed=true]{background:color-mix(in srgb,var(--_a) 20%,var(--_s))}
[aria-hidden]{font-size:2em}
button span,small,p{opacity:.75}
strong{font-size:1.3em}
p{min-height:1.4em;margin:.5em 0 0;font-size:.85em}
@media (prefers-reduced-motion:no-preference){button{transition:.2s}}`;
let sheet;

function h(tag, attrs, ...children) {
const el = document.createElement(tag);
for (const k in attrs) el.setAttribute(k, attrs[k]);
el.append(...children);
return el;
}

const texts = {};
const mounted = new WeakSet();
const queue = [];

const mount = guard((el) => {
if (mounted.has(el)) return;
const w = config(el);
const bytes = new Blob([w.article]).size;
if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(w.site) || !bytes || bytes > 512 || /[\0-\x1f\x7f-\x9f]/.test(w.article)) {
return warn('bad data-site or data-article', el);
}
mounted.add(el);
if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(STYLES);
const root = el.attachShadow({ mode: 'open' });
root.adoptedStyleSheets = [sheet];
w.ready = (texts[w.lang] ||= Promise.resolve(!/^en\b/.test(w.lang) && request(`${w.api}/v1/i18n/${w.lang}`).catch(warn))).then((t) => {
w.t = t = { ...EN, ...t };
el.dir = t.dir || 'ltr';
if (w.summary) return root.replaceChildren((w.badge = w.href ? h('a', { href: w.href }) : h('span')));
root.replaceChildren(h('h2', {}, t.heading), (w.grid = h('div')), (w.status = h('p', { role: 'status' })));
w.grid.onclick = guard((e) => (e = e.target.closest('button')) && !e.disabled && choose(w, e.dataset.reaction));
build(w, KEYS.map((key, i) => ({ key, label: t[key], emoji: EMOJI[i] })));
});
if (!queue.length) queueMicrotask(flush);
queue.push(w);
});

function build(w, reactions) {
w.reactions = reactions.map(({ key, label, emoji }) => {
const r = { key, label, count: h('strong', { 'data-count': '' }, '–'), share: h('small', {}, '\xa0') };
// Spaced: the visible text reads as the accessible name does ("Love It 3 50%").
r.button = h('button', { 'data-reaction': key, 'aria-pressed': false, disabled: '' },
h('span', { 'aria-hidden': true }, emoji), ' ', h('span', {}, label), ' ', r.count, ' ', r.share);
return r;
});
w.grid.replaceChildren(...w.reactions.map((r) => r.button));
}

const format = (w, n, o) => new Intl.NumberFormat(w.lang, o).format(n);
// [seen, exact]: compact from 10,000, the exact number in the accessible name.
const amount = (w, n) => [format(w, n, { notation: n < 1e4 ? 'standard' : 'compact' }), n < 1e4 ? '' : ` (${format(w, n)})`];

function show(w, a, mine) {
const c = a.counts;
const total = c && w.reactions.reduce((t, r) => t + c[r.key], 0);
w.a = a;
w.mine = mine;
for (const r of w.reactions) {
const [seen, exact] = c ? amount(w, c[r.key]) : ['\xa0'];
const pct = c ? format(w, total && c[r.key] / total, { style: 'percent' }) : '\xa0';
r.count.textContent = seen;
r.share.textContent = pct;
r.button.disabled = !!a.closed;
r.button.ariaPressed = r.key == mine;
r.button.ariaLabel = c ? `${r.label}, ${seen}, ${pct}${exact}` : r.label;
}
if (a.closed) w.status.textContent = w.t.closed;
}

const flush = guard(() => {
const open = {};
for (const w of queue.splice(0)) {
const part = `&article=${encodeURIComponent(w.article)}`;
const key = `${w.endpoint}?lang=${w.lang}`;
let b = open[key];
if (!b || b.ws.length > 99 || (b.url + part).length > 7000) {
const url = key + (Date.now() - load(`reactions:${w.site}:at`) < 6e5 ? `&reader=${reader()}` : '');
const c = (b = open[key] = { url, ws: [] });
queueMicrotask(() => counts(c.url, c.ws));
}
b.url += part;
b.ws.push(w);
}
});

async function request(url, options) {
const response = await fetch(url, { credentials: 'omit', ...options });
const data = await response.json();
if (!response.ok) throw Error(data.error?.message || response.status);
return data;
}

async function counts(url, ws) {
try {
const data = await request(url, { cache: 'no-cache' });
for (const w of ws) {
await w.ready;
const a = data.articles[w.article];
const c = a.counts;
if (w.summary) {
const top = data.reactions.reduce((t, r) => (c?.[r.key] > c[t.key] ? r : t));
const [seen, exact] = c ? amount(w, a.total) : [''];
w.badge.replaceChildren(h('span', { role: 'img', 'aria-label': c ? `${w.t.total}: ${seen}${exact}` : w.t.total }, top.emoji, ' ', seen));
} else {
build(w, data.reactions);
let mine = 'mine' in a ? a.mine : load(w.key);
store(w.key, mine);
show(w, ...(w.saved = [a, w.reactions.some((r) => r.key == mine) ? mine : null]));
}
}
} catch (e) {
warn('could not load the counts:', e);
for (const w of ws) await w.ready, w.status && (w.status.textContent = w.t.down);
}
}

function choose(w, key) {
const next = w.mine == key ? null : key;
const c = w.a.counts && { ...w.a.counts };
if (c && w.mine) c[w.mine]--;
if (c && next) c[next]++;
show(w, { ...w.a, counts: c }, next);
w.status.textContent = '';
w.want = next;
if (!w.busy) save(w);
}

async function save(w) {
w.busy = true;
try {
while (w.want !== undefined) {
const body = { ...w.post, reader: reader(), reaction: w.want };
w.want = undefined;
const data = await request(w.endpoint, { method: 'POST', body: JSON.stringify(body) });
w.saved = [data, data.mine];
store(w.key, data.mine);
store(`reactions:${w.site}:at`, Date.now());
if (w.want === undefined) {
show(w, ...w.saved);
const label = w.reactions.find((r) => r.key == data.mine)?.label;
w.status.textContent = label ? w.t.chose.replace('{}', label) : w.t.removed;
const detail = { site: w.site, article: w.article, reaction: data.mine, counts: data.counts };
w.el.dispatchEvent(new CustomEvent('reactions:change', { bubbles: true, composed: true, detail }));
}
}
} catch (e) {
warn('could not save the reaction:', e);
w.want = undefined;
show(w, ...w.saved);
w.status.textContent = w.t.failed;
}
w.busy = false;
}

function scan(root = document) {
if (root.matches?.('[data-reactions]')) mount(root);
root.querySelectorAll?.('[data-reactions]').forEach(mount);
}

const start = guard(() => {
scan();
new MutationObserver(guard((records) => {
for (const r of records) r.addedNodes.forEach(scan);
})).observe(document.documentElement, { childList: true, subtree: true });
});

window.Reactions = { scan: guard(() => scan()) };
if (document.readyState == 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
})();
