/*! Reactions widget: docs/embedding.md */
// The readable source of static/embed.js: scripts/build_embed minifies it with rjsmin, and
// tests/test_embed_build.py holds the built file equal to the build of this one and at most
// 4,096 bytes gzipped. rjsmin drops comments and whitespace and renames nothing, so names here
// are clear but short where they recur; it knows template literals only unnested, so none
// holds another in its ${}.
(() => {
  'use strict';
  // embed.js loaded twice on one page: the first copy does the work.
  if (window.Reactions) return;

  // 10 minutes: longer than a shared cache keeps a counts answer (70 s by default).
  const READER_WINDOW = 600_000;
  // The service answers at most 100 articles per counts GET.
  const MAX_ARTICLES = 100;
  // Well inside gunicorn's request line of 8190 bytes.
  const MAX_URL_LENGTH = 7000;
  // From 10,000 a count is drawn compact ("12K"), with the exact number in the accessible name.
  const COMPACT_FROM = 10000;
  // The service keeps titles of at most 300 characters.
  const MAX_TITLE_LENGTH = 300;
  // The service refuses article ids of more than 512 bytes of UTF-8.
  const MAX_ARTICLE_BYTES = 512;
  // The service refuses a lang tag of more than 35 characters.
  const MAX_LANG_LENGTH = 35;
  // 160 random bits: two readers never draw the same token.
  const TOKEN_BYTES = 20;

  // The default reaction set and the English strings, declared in widget/sites/reactions.py
  // (DEFAULT_EMOJI: each default key and its emoji, in order) and static/i18n/en.json (the
  // widget's strings and the default labels). scripts/build_embed writes them in for these two
  // placeholders, as JSON; unbuilt, this file stops here. The widget draws these buttons,
  // disabled, before the counts answer brings the site's own set, so that it keeps its size when
  // the answer arrives; a string that a language file lacks is shown in English.
  const EMOJI = __DEFAULT_EMOJI__,
    EN = __ENGLISH__;

  /** Log a problem for the page's developer. */
  const warn = (...args) => console.warn('[reactions]', ...args);

  /** Wrap fn so that what it throws is logged, never thrown into the host page. */
  const guard = (fn) => (...args) => {
    try {
      return fn(...args);
    } catch (e) {
      warn(e);
    }
  };

  // The service's origin unless data-api names another: where this script came from.
  const origin = new URL(document.currentScript?.src || location).origin;

  // Where localStorage is blocked (or throws), values live here for the life of the page.
  const memory = {};

  /** Read a stored value: this page's copy first, then localStorage. */
  const load = (key) => {
    try {
      return memory[key] ?? localStorage.getItem(key);
    } catch {}
  };

  /** Store a value (a falsy one removes it), in memory and in localStorage if allowed. */
  const store = (key, value) => {
    memory[key] = value;
    try {
      value ? localStorage.setItem(key, value) : localStorage.removeItem(key);
    } catch {}
  };

  /** Return the reader's token, made on first use. */
  const reader = () => {
    let token = load('reactions:reader');
    if (!/^[\w-]{16,64}$/.test(token)) {
      token = crypto.getRandomValues(new Uint8Array(TOKEN_BYTES)).join('');
      store('reactions:reader', token);
    }
    return token;
  };

  /**
   * Make a widget's state from its element's data-* attributes, with the contract's defaults.
   *
   * Later on it also holds: ready (a promise: drawn, strings known), strings, badge (summary
   * mode) or grid and status (the buttons' box and the status line), reactions (a button and
   * its count and share elements per reaction), shown (the article's entry on screen), mine
   * (the reaction pressed on screen), saved ([entry, mine] as the service last confirmed them,
   * to roll back to), pending (the reaction to POST next; undefined: none) and saving (a POST
   * is in flight).
   */
  function configure(el) {
    const data = el.dataset;
    const canonical = document.querySelector('link[rel=canonical]')?.href;
    // Never location.href: its query may carry a reader's token or e-mail.
    const url = data.url || canonical || location.origin + location.pathname;
    const article = data.article || (canonical ? new URL(canonical).pathname : location.pathname);
    let lang = 'en';
    try {
      [lang] = Intl.getCanonicalLocales(data.lang || el.closest('[lang]')?.lang || lang);
    } catch {}
    const api = (data.api || origin).replace(/\/+$/, '');
    // What every POST of this widget sends besides the reader and the reaction.
    const post = {
      article,
      // Cut by code points, as the service counts characters.
      title:
        Array.from((data.title ?? document.title).replace(/[\s\0-\x1f\x7f-\x9f]+/g, ' ').trim())
          .slice(0, MAX_TITLE_LENGTH)
          .join('') || undefined,
      // "https://" and 2,040 more: the service keeps URLs of at most 2,048 characters.
      url: /^https?:\/\/[^\s\0-\x1f\x7f-\x9f]{1,2040}$/.test(url) ? url : undefined,
      signature: data.signature
    };
    return {
      el,
      api,
      article,
      site: data.site,
      lang: lang.length > MAX_LANG_LENGTH ? 'en' : lang,
      isSummary: data.mode == 'summary',
      // Top mode: its list's reaction, days and length, passed through for the service to check.
      top: data.mode == 'top' && [data.reaction || 'total', data.days || 7, data.limit || 5],
      link: data.url && post.url,
      storageKey: `reactions:${data.site}:${article}`,
      endpoint: `${api}/v1/sites/${data.site}/reactions`,
      post
    };
  }

  // --_s and --_a: the surface and accent colours, the publisher's or the light/dark default.
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
li{height:1.5em;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
b{color:var(--_a)}
@media (prefers-reduced-motion:no-preference){button{transition:.2s}}`;
  // One constructed stylesheet, adopted by every widget's shadow root (no style-src needed).
  let sheet;

  /** Say one of the widget's strings (by name; "" for none) in its status line, a polite live
   * region (a badge has none), with label in place of its {}. */
  function say(widget, name, label) {
    if (widget.status) widget.status.textContent = name && widget.strings[name].replace('{}', label);
  }

  /** Make an element with attributes and children. */
  function h(tag, attributes, ...children) {
    const el = document.createElement(tag);
    for (const name in attributes) el.setAttribute(name, attributes[name]);
    el.append(...children);
    return el;
  }

  // A language's strings, asked for once per page: a promise per tag.
  const texts = {};
  const mounted = new WeakSet();
  // Widgets mounted since the last counts GET went out.
  const queue = [];

  /** Draw a widget at once, and queue it for the next counts GET. */
  const mount = guard((el) => {
    if (mounted.has(el)) return;
    const widget = configure(el);
    const articleBytes = new Blob([widget.article]).size;
    if (
      !/^[a-z0-9][a-z0-9-]{0,63}$/.test(widget.site) ||
      !articleBytes ||
      articleBytes > MAX_ARTICLE_BYTES ||
      /[\0-\x1f\x7f-\x9f]/.test(widget.article)
    ) {
      // Left alone, so that it cannot spoil the counts GET of the others.
      return warn('bad data-site or data-article', el);
    }
    mounted.add(el);
    if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(STYLES);
    const root = el.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = [sheet];
    // English is built in; another language's file is fetched while the counts are.
    texts[widget.lang] ||= Promise.resolve(
      !/^en\b/.test(widget.lang) && request(`${widget.api}/v1/i18n/${widget.lang}`).catch(warn)
    );
    widget.ready = texts[widget.lang].then((strings) => {
      strings = widget.strings = { ...EN, ...strings };
      el.dir = strings.dir || 'ltr';
      if (widget.isSummary) {
        widget.badge = widget.link ? h('a', { href: widget.link }) : h('span');
        return root.replaceChildren(widget.badge);
      }
      widget.status = h('p', { role: 'status' });
      if (widget.top) {
        // The heading ("Most loved · 7 days": a number of days in the widget's language), then
        // one line reserved per article, so that the list keeps its height when it fills.
        const [reaction, days, limit] = widget.top;
        widget.list = h('ol');
        for (let n = Math.min(limit, 20); n-- > 0; ) widget.list.append(h('li'));
        return root.replaceChildren(
          h(
            'h2',
            {},
            (strings['top_' + reaction] ?? reaction) +
              ' · ' +
              format(widget, days, { style: 'unit', unit: 'day', unitDisplay: 'long' })
          ),
          widget.list,
          widget.status
        );
      }
      widget.grid = h('div');
      root.replaceChildren(h('h2', {}, strings.heading), widget.grid, widget.status);
      widget.grid.onclick = guard((event) => {
        const button = event.target.closest('button');
        if (button && !button.disabled) choose(widget, button.dataset.reaction);
      });
      build(
        widget,
        Object.keys(EMOJI).map((key) => ({ key, label: strings[key], emoji: EMOJI[key] }))
      );
    });
    if (!queue.length) queueMicrotask(flush);
    queue.push(widget);
  });

  /** Draw one disabled button per reaction, for the counts to fill in. */
  function build(widget, reactions) {
    widget.reactions = reactions.map(({ key, label, emoji }) => {
      const reaction = {
        key,
        label,
        count: h('strong', { 'data-count': '' }, '–'),
        share: h('small', {}, '\xa0')
      };
      // Spaced: the visible text reads as the accessible name does ("Love It 3 50%").
      reaction.button = h(
        'button',
        { type: 'button', 'data-reaction': key, 'aria-pressed': false, disabled: '' },
        h('span', { 'aria-hidden': true }, emoji),
        ' ',
        h('span', {}, label),
        ' ',
        reaction.count,
        ' ',
        reaction.share
      );
      return reaction;
    });
    widget.grid.replaceChildren(...widget.reactions.map((r) => r.button));
  }

  /** Format a number in the widget's language. */
  const format = (widget, n, options) =>
    new Intl.NumberFormat(widget.lang, options).format(n);

  /** Return a count as drawn and, when that is compact, the exact number for the name. */
  const amount = (widget, n) => [
    format(widget, n, { notation: n < COMPACT_FROM ? 'standard' : 'compact' }),
    n < COMPACT_FROM ? '' : ` (${format(widget, n)})`
  ];

  /** Show an article's entry (counts, closed) with the reader's reaction pressed. */
  function show(widget, entry, mine) {
    // No counts where the site's policy hides them: then no number is drawn.
    const counts = entry.counts;
    const total = counts && widget.reactions.reduce((sum, r) => sum + counts[r.key], 0);
    widget.shown = entry;
    widget.mine = mine;
    for (const reaction of widget.reactions) {
      const [seen, exact] = counts ? amount(widget, counts[reaction.key]) : ['\xa0'];
      const share = counts
        ? format(widget, total && counts[reaction.key] / total, { style: 'percent' })
        : '\xa0';
      reaction.count.textContent = seen;
      reaction.share.textContent = share;
      reaction.button.disabled = !!entry.closed;
      reaction.button.ariaPressed = reaction.key == mine;
      reaction.button.ariaLabel = counts
        ? `${reaction.label}, ${seen}, ${share}${exact}`
        : reaction.label;
    }
    if (entry.closed) say(widget, 'closed');
  }

  /** Ask for the queued widgets' counts: one GET per service, site and language, split at the
   * limits. */
  const flush = guard(() => {
    const batches = {};
    for (const widget of queue.splice(0)) {
      // A top list is one GET for every widget that shows it (its URL names it whole).
      const top = widget.top;
      const part = top ? '' : `&article=${encodeURIComponent(widget.article)}`;
      const base = top
        ? `${widget.api}/v1/sites/${widget.site}/top?reaction=${top[0]}&days=${top[1]}&limit=${top[2]}`
        : `${widget.endpoint}?lang=${widget.lang}`;
      let batch = batches[base];
      if (
        !batch ||
        batch.widgets.length >= MAX_ARTICLES ||
        (batch.url + part).length > MAX_URL_LENGTH
      ) {
        // With reader= only for a while after the reader's own change: otherwise the answer
        // is the same for everyone, and caches keep it.
        const recent = !top && Date.now() - load(`reactions:${widget.site}:at`) < READER_WINDOW;
        const next = (batch = batches[base] = {
          url: base + (recent ? `&reader=${reader()}` : ''),
          widgets: []
        });
        queueMicrotask(() => loadCounts(next.url, next.widgets));
      }
      batch.url += part;
      batch.widgets.push(widget);
    }
  });

  /** Fetch JSON from the service, without cookies; throw on an error answer. */
  async function request(url, options) {
    const response = await fetch(url, { credentials: 'omit', ...options });
    const data = await response.json();
    if (!response.ok) throw Error(data.error?.message || response.status);
    return data;
  }

  /** Fetch one batch's counts (or top list) and show them in each of its widgets. */
  async function loadCounts(url, widgets) {
    try {
      // no-cache: a reload revalidates with the ETag (a 304 when nothing changed).
      const data = await request(url, { cache: 'no-cache' });
      for (const widget of widgets) {
        await widget.ready;
        if (widget.top) {
          // Titles as text, never HTML; a link only to an http(s) URL.
          data.articles.forEach((a, i) =>
            widget.list.children[i]?.replaceChildren(
              h('b', {}, amount(widget, a.count)[0]),
              ' ',
              /^https?:/.test(a.url) ? h('a', { href: a.url, rel: 'noopener' }, a.title) : a.title
            )
          );
          if (!data.articles.length) say(widget, 'empty');
          continue;
        }
        const entry = data.articles[widget.article];
        const counts = entry.counts;
        if (widget.isSummary) {
          // The leading reaction; the earlier one on a tie, the first where counts are hidden.
          const top = data.reactions.reduce((lead, r) =>
            counts && counts[r.key] > counts[lead.key] ? r : lead
          );
          const [seen, exact] = counts ? amount(widget, entry.total) : [''];
          const name = counts ? `${widget.strings.total}: ${seen}${exact}` : widget.strings.total;
          widget.badge.replaceChildren(
            h('span', { role: 'img', 'aria-label': name }, top.emoji, ' ', seen)
          );
        } else {
          build(widget, data.reactions);
          // The answer holds mine only when asked with reader=; else this browser remembers it.
          const mine = 'mine' in entry ? entry.mine : load(widget.storageKey);
          store(widget.storageKey, mine);
          const known = widget.reactions.some((r) => r.key == mine);
          show(widget, ...(widget.saved = [entry, known ? mine : null]));
        }
      }
    } catch (e) {
      warn('load failed:', e);
      for (const widget of widgets) {
        await widget.ready;
        say(widget, 'down');
      }
    }
  }

  /** Show a click at once, and send it unless a POST is in flight (then it goes next). */
  function choose(widget, key) {
    const next = widget.mine == key ? null : key;
    const counts = widget.shown.counts && { ...widget.shown.counts };
    if (counts && widget.mine) counts[widget.mine]--;
    if (counts && next) counts[next]++;
    show(widget, { ...widget.shown, counts: counts }, next);
    say(widget, '');
    widget.pending = next;
    if (!widget.saving) save(widget);
  }

  /** POST the pending reaction, and the last one clicked meanwhile; roll back on failure. */
  async function save(widget) {
    widget.saving = true;
    try {
      // undefined: nothing to send (null is a withdrawal, to be sent).
      while (widget.pending !== undefined) {
        const body = { ...widget.post, reader: reader(), reaction: widget.pending };
        widget.pending = undefined;
        // A string body goes as text/plain: a simple request, no preflight.
        const data = await request(widget.endpoint, {
          method: 'POST',
          body: JSON.stringify(body)
        });
        widget.saved = [data, data.mine];
        store(widget.storageKey, data.mine);
        store(`reactions:${widget.site}:at`, Date.now());
        if (widget.pending === undefined) {
          show(widget, ...widget.saved);
          const label = widget.reactions.find((r) => r.key == data.mine)?.label;
          say(widget, label ? 'chose' : 'removed', label);
          widget.el.dispatchEvent(
            new CustomEvent('reactions:change', {
              bubbles: true,
              composed: true,
              detail: {
                site: widget.site,
                article: widget.article,
                reaction: data.mine,
                counts: data.counts
              }
            })
          );
        }
      }
    } catch (e) {
      warn('save failed:', e);
      widget.pending = undefined;
      show(widget, ...widget.saved);
      say(widget, 'failed');
    }
    widget.saving = false;
  }

  /** Mount root, if it is a widget, and every widget inside it. */
  function scan(root = document) {
    if (root.matches?.('[data-reactions]')) mount(root);
    root.querySelectorAll?.('[data-reactions]').forEach(mount);
  }

  /** Mount the page's widgets, and those added to it later. */
  const start = guard(() => {
    scan();
    new MutationObserver(
      guard((records) => {
        for (const record of records) record.addedNodes.forEach(scan);
      })
    ).observe(document.documentElement, { childList: true, subtree: true });
  });

  // The one global.
  window.Reactions = { scan: guard(() => scan()) };
  if (document.readyState == 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
