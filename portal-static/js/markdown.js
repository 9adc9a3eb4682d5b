// A small, safe Markdown renderer that builds DOM nodes directly (never HTML strings).
// Supports: ATX and setext headings, paragraphs, hard line breaks, block quotes, ordered and
// unordered (nested, task) lists, fenced and indented code blocks, horizontal rules, simple
// pipe tables; inline code, **bold**, *italic*, ~~strike~~, links, autolinks and bare URLs.
// Raw HTML is shown as text. Links are kept only for http(s) URLs and open with
// rel="noopener noreferrer". Headings are shifted down one level (# -> h2) because the page
// around the rendered document already has its own h1.

const MAX_DEPTH = 12;
const ESCAPABLE = '\\`*_{}[]()#+-.!~<>|"\'';

const RE = {
  fence: /^ {0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)/,
  heading: /^ {0,3}(#{1,6})(?=[ \t]|$)(.*)$/,
  hr: /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/,
  quote: /^ {0,3}> ?/,
  item: /^( *)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*)|$)/,
  setext1: /^ {0,3}=+[ \t]*$/,
  setext2: /^ {0,3}-+[ \t]*$/,
  tableSep: /^ *\|? *:?-+:? *(\| *:?-+:? *)*\|? *$/,
  indented: /^(?: {4}|\t)/,
};

/** Only absolute http(s) URLs survive; everything else (javascript:, data:, relative) is null. */
export function safeHref(raw) {
  const s = String(raw || '').trim();
  if (!/^https?:\/\//i.test(s)) return null;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

export function externalLink(href, text, props = {}) {
  const a = document.createElement('a');
  a.href = href;
  a.rel = 'noopener noreferrer';
  a.target = '_blank';
  for (const [k, v] of Object.entries(props)) a.setAttribute(k, v);
  a.textContent = text;
  return a;
}

/** Markdown source -> DocumentFragment. */
export function renderMarkdown(src) {
  const frag = document.createDocumentFragment();
  const lines = String(src || '').replace(/\r\n?/g, '\n').split('\n');
  blocks(lines, frag, 0);
  return frag;
}

function el(tag, cls) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  return e;
}

const indentOf = (line) => line.match(/^ */)[0].length;
const isBlank = (line) => /^\s*$/.test(line);

function startsBlock(line) {
  if (RE.fence.test(line) || RE.heading.test(line) || RE.hr.test(line) || RE.quote.test(line)) return true;
  const m = line.match(RE.item);
  return !!(m && m[3] && (/^[-*+]$/.test(m[2]) || /^1[.)]$/.test(m[2])));
}

function blocks(lines, parent, depth) {
  if (depth > MAX_DEPTH) {
    const p = el('p');
    p.textContent = lines.join('\n');
    parent.append(p);
    return;
  }
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if (isBlank(line)) { i += 1; continue; }

    if ((m = line.match(RE.fence))) {
      const fence = m[1];
      const close = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*$`);
      const body = [];
      i += 1;
      while (i < lines.length && !close.test(lines[i])) { body.push(lines[i]); i += 1; }
      i += 1;
      parent.append(codeBlock(body.join('\n'), m[2]));
      continue;
    }
    if (RE.indented.test(line)) {
      const body = [];
      while (i < lines.length && (RE.indented.test(lines[i]) || isBlank(lines[i]))) {
        body.push(lines[i].replace(RE.indented, ''));
        i += 1;
      }
      while (body.length && isBlank(body[body.length - 1])) body.pop();
      parent.append(codeBlock(body.join('\n'), ''));
      continue;
    }
    if ((m = line.match(RE.heading))) {
      const text = m[2].replace(/(^|[ \t])#+[ \t]*$/, '').trim();
      parent.append(heading(m[1].length, text));
      i += 1;
      continue;
    }
    if (RE.hr.test(line)) { parent.append(el('hr')); i += 1; continue; }
    if (RE.quote.test(line)) {
      const inner = [];
      while (i < lines.length && RE.quote.test(lines[i])) { inner.push(lines[i].replace(RE.quote, '')); i += 1; }
      const bq = el('blockquote');
      blocks(inner, bq, depth + 1);
      parent.append(bq);
      continue;
    }
    if ((m = line.match(RE.item)) && m[3] !== undefined) {
      i = list(lines, i, parent, depth);
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && RE.tableSep.test(lines[i + 1]) && lines[i + 1].includes('-')) {
      i = table(lines, i, parent);
      continue;
    }
    // Paragraph, possibly a setext heading.
    const para = [line];
    i += 1;
    let setext = 0;
    while (i < lines.length && !isBlank(lines[i])) {
      if (RE.setext1.test(lines[i])) { setext = 1; i += 1; break; }
      if (RE.setext2.test(lines[i])) { setext = 2; i += 1; break; }
      if (startsBlock(lines[i])) break;
      para.push(lines[i]);
      i += 1;
    }
    if (setext) {
      parent.append(heading(setext, para.map((l) => l.trim()).join(' ')));
    } else {
      const p = el('p');
      para.forEach((l, idx) => {
        const last = idx === para.length - 1;
        const hard = !last && (/ {2,}$/.test(l) || /\\$/.test(l));
        inline(hard ? l.replace(/( {2,}|\\)$/, '') : l.trim(), p, 0, false);
        // Every line break is kept: people write one thing per line and expect to see it so.
        if (!last) p.append(el('br'));
      });
      parent.append(p);
    }
  }
}

function heading(level, text) {
  const hd = el(`h${Math.min(level + 1, 6)}`, `md-h${level}`);
  inline(text, hd, 0, false);
  return hd;
}

function codeBlock(text, lang) {
  const pre = el('pre');
  const code = el('code');
  const cleanLang = String(lang || '').replace(/[^\w+-]/g, '');
  if (cleanLang) code.className = `language-${cleanLang}`;
  code.textContent = text;
  pre.append(code);
  return pre;
}

function list(lines, start, parent, depth) {
  const first = lines[start].match(RE.item);
  const base = first[1].length;
  const ordered = /\d/.test(first[2]);
  const listEl = el(ordered ? 'ol' : 'ul');
  if (ordered && parseInt(first[2], 10) !== 1) listEl.start = parseInt(first[2], 10);
  const items = [];
  let contentIndent = base + first[2].length + 1;
  let i = start;
  while (i < lines.length) {
    const line = lines[i];
    const m = line.match(RE.item);
    if (m && m[3] !== undefined && m[1].length <= base + 1 && /\d/.test(m[2]) === ordered) {
      items.push({ lines: [m[3]], loose: false });
      contentIndent = m[1].length + m[2].length + 1;
      i += 1;
      continue;
    }
    const cur = items[items.length - 1];
    if (isBlank(line)) {
      let j = i + 1;
      while (j < lines.length && isBlank(lines[j])) j += 1;
      if (j < lines.length && indentOf(lines[j]) >= contentIndent) {
        cur.lines.push('');
        cur.loose = true;
        i += 1;
        continue;
      }
      const next = j < lines.length ? lines[j].match(RE.item) : null;
      if (next && next[3] !== undefined && next[1].length <= base + 1 && /\d/.test(next[2]) === ordered) {
        i = j;
        continue;
      }
      break;
    }
    if (indentOf(line) > base) {
      cur.lines.push(line.slice(Math.min(indentOf(line), contentIndent)));
      i += 1;
      continue;
    }
    if (!m && !startsBlock(line) && !isBlank(lines[i - 1])) {
      cur.lines.push(line.trim());
      i += 1;
      continue;
    }
    break;
  }
  for (const item of items) {
    const li = el('li');
    let body = item.lines;
    const task = body[0].match(/^\[([ xX])\][ \t]+/);
    if (task) {
      const done = task[1] !== ' ';
      const box = el('span', `md-task ${done ? 'md-task-done' : ''}`);
      box.textContent = done ? '☑ ' : '☐ ';
      box.setAttribute('aria-hidden', 'true');
      const sr = el('span', 'visually-hidden');
      sr.textContent = done ? 'Done: ' : 'To do: ';
      li.append(box, sr);
      li.className = 'md-task-item';
      body = [body[0].slice(task[0].length), ...body.slice(1)];
    }
    const frag = document.createDocumentFragment();
    blocks(body, frag, depth + 1);
    if (!item.loose) {
      // Tight list: paragraphs are unwrapped into the item.
      for (const child of [...frag.childNodes]) {
        if (child.nodeName === 'P') {
          li.append(...child.childNodes);
        } else {
          li.append(child);
        }
      }
    } else {
      li.append(frag);
    }
    listEl.append(li);
  }
  parent.append(listEl);
  return i;
}

function splitRow(line) {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const cells = [];
  let cur = '';
  for (let k = 0; k < s.length; k += 1) {
    if (s[k] === '\\' && s[k + 1] === '|') { cur += '|'; k += 1; continue; }
    if (s[k] === '|') { cells.push(cur.trim()); cur = ''; continue; }
    cur += s[k];
  }
  cells.push(cur.trim());
  return cells;
}

function table(lines, start, parent) {
  const head = splitRow(lines[start]);
  const aligns = splitRow(lines[start + 1]).map((c) => (c.endsWith(':') ? (c.startsWith(':') ? 'center' : 'right') : (c.startsWith(':') ? 'left' : '')));
  const wrap = el('div', 'table-wrap');
  const tbl = el('table', 'md-table');
  const thead = el('thead');
  const tr = el('tr');
  head.forEach((c, idx) => {
    const th = el('th', aligns[idx] ? `align-${aligns[idx]}` : '');
    th.scope = 'col';
    inline(c, th, 0, false);
    tr.append(th);
  });
  thead.append(tr);
  tbl.append(thead);
  const tbody = el('tbody');
  let i = start + 2;
  while (i < lines.length && !isBlank(lines[i]) && lines[i].includes('|')) {
    const row = el('tr');
    const cells = splitRow(lines[i]);
    head.forEach((_, idx) => {
      const td = el('td', aligns[idx] ? `align-${aligns[idx]}` : '');
      inline(cells[idx] || '', td, 0, false);
      row.append(td);
    });
    tbody.append(row);
    i += 1;
  }
  tbl.append(tbody);
  wrap.append(tbl);
  parent.append(wrap);
  return i;
}

/** Finds the end of a code span that opens at `i` with a run of n backticks, or -1. */
function codeSpanEnd(text, i, n) {
  const fence = '`'.repeat(n);
  let j = i + n;
  while ((j = text.indexOf(fence, j)) !== -1) {
    let k = j;
    while (text[k] === '`') k += 1;
    if (k - j === n) return j;
    j = k;
  }
  return -1;
}

function findClose(text, from, delim) {
  const ch = delim[0];
  for (let j = from; j < text.length; j += 1) {
    const c = text[j];
    if (c === '\\') { j += 1; continue; }
    if (c === '`') {
      let n = 1;
      while (text[j + n] === '`') n += 1;
      const end = codeSpanEnd(text, j, n);
      if (end !== -1) j = end + n - 1;
      continue;
    }
    if (!text.startsWith(delim, j) || /\s/.test(text[j - 1])) continue;
    if (delim.length === 1 && text[j + 1] === ch) { j += 1; continue; }
    if (ch === '_' && /[\p{L}\p{N}]/u.test(text[j + delim.length] || '')) continue;
    let end = j;
    if (delim.length === 2) while (text[end + 2] === ch) end += 1;
    if (end > from) return end;
  }
  return -1;
}

/** Parses [label](dest "title") starting at `i` (the '['). Returns {label, dest, end} or null. */
function linkAt(text, i) {
  let depth = 0;
  let j = i;
  for (; j < text.length; j += 1) {
    if (text[j] === '\\') { j += 1; continue; }
    if (text[j] === '[') depth += 1;
    else if (text[j] === ']') { depth -= 1; if (depth === 0) break; }
  }
  if (j >= text.length || text[j + 1] !== '(') return null;
  let k = j + 2;
  let parens = 1;
  for (; k < text.length; k += 1) {
    if (text[k] === '\\') { k += 1; continue; }
    if (text[k] === '(') parens += 1;
    else if (text[k] === ')') { parens -= 1; if (parens === 0) break; }
  }
  if (k >= text.length) return null;
  let dest = text.slice(j + 2, k).trim();
  const titled = dest.match(/^(\S+)\s+(["'(]).*$/);
  if (titled) dest = titled[1];
  if (dest.startsWith('<') && dest.endsWith('>')) dest = dest.slice(1, -1);
  return { label: text.slice(i + 1, j), dest, end: k + 1 };
}

/** Inline Markdown into `parent`. noLinks: inside a link label (no nested links). */
function inline(text, parent, depth, noLinks) {
  let buf = '';
  const flush = () => { if (buf) { parent.append(document.createTextNode(buf)); buf = ''; } };
  const wrapIn = (tag, inner) => {
    flush();
    const e = el(tag);
    if (depth < MAX_DEPTH) inline(inner, e, depth + 1, noLinks);
    else e.textContent = inner;
    parent.append(e);
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const rest = text.slice(i);
    let m;
    if (c === '\\' && i + 1 < text.length && ESCAPABLE.includes(text[i + 1])) { buf += text[i + 1]; i += 2; continue; }
    if (c === '`') {
      let n = 1;
      while (text[i + n] === '`') n += 1;
      const end = codeSpanEnd(text, i, n);
      if (end === -1) { buf += '`'.repeat(n); i += n; continue; }
      let code = text.slice(i + n, end).replace(/\n/g, ' ');
      if (/^ .* $/.test(code) && code.trim()) code = code.slice(1, -1);
      flush();
      const e = el('code');
      e.textContent = code;
      parent.append(e);
      i = end + n;
      continue;
    }
    if (c === '*' || c === '_' || (c === '~' && text[i + 1] === '~')) {
      const delim = text[i + 1] === c ? c + c : c;
      const open = i + delim.length;
      const intraword = c === '_' && i > 0 && /[\p{L}\p{N}]/u.test(text[i - 1]);
      if (!intraword && open < text.length && !/\s/.test(text[open])) {
        const close = findClose(text, open, delim);
        if (close > open) {
          const tag = c === '~' ? 'del' : (delim.length === 2 ? 'strong' : 'em');
          wrapIn(tag, text.slice(open, close));
          i = close + delim.length;
          continue;
        }
      }
      buf += delim;
      i += delim.length;
      continue;
    }
    if (!noLinks && (c === '[' || (c === '!' && text[i + 1] === '['))) {
      const image = c === '!';
      const link = linkAt(text, image ? i + 1 : i);
      if (link) {
        const href = safeHref(link.dest);
        flush();
        if (href) {
          const a = externalLink(href, '');
          if (image) a.textContent = `image: ${link.label || href}`;
          else inline(link.label, a, depth + 1, true);
          parent.append(a);
        } else if (image) {
          parent.append(document.createTextNode(link.label));
        } else {
          inline(link.label, parent, depth + 1, true);
        }
        i = link.end;
        continue;
      }
    }
    if (!noLinks && c === '<' && (m = rest.match(/^<(https?:\/\/[^\s<>]+)>/i))) {
      const href = safeHref(m[1]);
      if (href) { flush(); parent.append(externalLink(href, m[1])); i += m[0].length; continue; }
    }
    if (!noLinks && (c === 'h' || c === 'H') && (i === 0 || /[\s(*_~]/.test(text[i - 1])) && (m = rest.match(/^https?:\/\/[^\s<]+/i))) {
      let url = m[0].replace(/[.,;:!?'"*_~]+$/, '');
      if (url.endsWith(')') && !url.includes('(')) url = url.replace(/\)+$/, '');
      const href = safeHref(url);
      if (href) { flush(); parent.append(externalLink(href, url)); i += url.length; continue; }
    }
    buf += c;
    i += 1;
  }
  flush();
}
