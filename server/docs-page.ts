// GET /docs: openapi.yaml rendered as a self-contained page (no CDN, no network), so the contract
// is readable from any running server. The spec is embedded as JSON and drawn by a small script.
// Loaded on the first /docs (`spec-document.ts`), not at start: it is the server's one module
// with non-Latin-1 text in strings the bundle must keep verbatim (String.raw), which would
// make V8 hold the whole bundle's source as two bytes per character.

/** A complete HTML page rendering `spec` (an OpenAPI 3.1 document as plain JSON values). */
export function renderDocsPage(spec: unknown): string {
  const info = (spec as { info?: { title?: unknown; version?: unknown } } | null)?.info;
  const title = `${String(info?.title ?? 'API')} ${String(info?.version ?? '')}`.trim();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — API reference</title>
<style>${STYLE}</style>
</head>
<body>
<main id="app"><noscript><p>This page draws the API reference with JavaScript. The document itself is at <a href="openapi.yaml">/openapi.yaml</a>.</p></noscript></main>
<script type="application/json" id="spec">${embedJson(spec)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/**
 * JSON that cannot end the <script> element it sits in: `<`, `>` and `&` only occur inside JSON
 * strings, where their \u escapes mean the same; U+2028/9 are escaped for older parsers.
 */
function embedJson(value: unknown): string {
  return (JSON.stringify(value ?? null) ?? 'null')
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --bg: #fff; --card: #f6f8fa; --line: #d0d7de;
  --code: #eff1f3; --accent: #0969da; --get: #0969da; --post: #1a7f37; --delete: #cf222e; --other: #6e7781; --note: #fff8c5; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --card: #161b22; --line: #30363d;
  --code: #22272e; --accent: #4493f8; --get: #4493f8; --post: #3fb950; --delete: #f85149; --other: #9198a1; --note: #2d2a14; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1120px; margin: 0 auto; padding: 16px; }
@media (min-width: 768px) { main { padding: 32px 40px; } }
h1 { font-size: 1.8rem; margin: 0 0 4px; } h2 { font-size: 1.25rem; margin: 40px 0 12px; } h3 { font-size: 1.05rem; margin: 20px 0 8px; }
h4 { font-size: .85rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 18px 0 6px; }
p { margin: 8px 0; } a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code { background: var(--code); padding: 1px 5px; border-radius: 4px; overflow-wrap: anywhere; }
pre { background: var(--code); padding: 12px; border-radius: 6px; overflow-x: auto; } pre code { background: none; padding: 0; }
.lead { color: var(--muted); margin-bottom: 16px; }
.version { font-size: .8rem; font-weight: 600; border: 1px solid var(--line); border-radius: 999px; padding: 1px 8px; vertical-align: middle; color: var(--muted); }
.note { background: var(--note); border: 1px solid var(--line); border-radius: 8px; padding: 4px 16px; margin: 16px 0; }
nav ul { list-style: none; padding: 0; margin: 0; display: grid; gap: 4px; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); }
nav li a { display: flex; gap: 8px; align-items: center; padding: 4px 6px; border-radius: 6px; color: var(--fg); }
nav li a:hover { background: var(--card); text-decoration: none; }
.op { border: 1px solid var(--line); border-radius: 10px; background: var(--card); padding: 14px 16px; margin: 14px 0; }
.op-head { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: baseline; }
.op-head .path { font-weight: 600; overflow-wrap: anywhere; } .op-head .summary { color: var(--muted); }
.method { display: inline-block; min-width: 64px; text-align: center; font: 700 12px/20px ui-monospace, monospace; color: #fff;
  border-radius: 4px; padding: 0 6px; background: var(--other); }
.method.get { background: var(--get); } .method.post { background: var(--post); } .method.delete { background: var(--delete); }
.auth { font-size: .85rem; color: var(--muted); }
.table { overflow-x: auto; -webkit-overflow-scrolling: touch; margin: 6px 0; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; background: var(--bg); }
th, td { text-align: left; vertical-align: top; padding: 6px 10px; border: 1px solid var(--line); }
th { font-weight: 600; white-space: nowrap; }
td code { overflow-wrap: normal; white-space: nowrap; } /* keep tokens whole: a narrow screen scrolls the table instead */
td.status { font-weight: 700; white-space: nowrap; }
td.status.s2, td.status.s3 { color: var(--post); } td.status.s4 { color: #b35900; } td.status.s5 { color: var(--delete); }
.chips { display: flex; flex-wrap: wrap; gap: 4px; } .muted { color: var(--muted); }
`;

// Plain ES2018 run in the browser: builds the page with DOM calls only (never innerHTML), so
// nothing in the document can inject markup.
const SCRIPT = String.raw`
(function () {
  'use strict';
  var spec = JSON.parse(document.getElementById('spec').textContent || 'null') || {};
  var app = document.getElementById('app');
  var METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

  function el(tag, className, children) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }
  function code(text) { return el('code', '', [String(text)]); }
  function link(href, children) { var a = el('a', '', children); a.href = href; return a; }
  function slug(text) { return String(text).replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'root'; }

  function deref(node) {
    var seen = 0;
    while (node && typeof node.$ref === 'string' && node.$ref.indexOf('#/') === 0 && seen++ < 20) {
      node = node.$ref.slice(2).split('/').reduce(function (at, part) {
        return at && at[decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')];
      }, spec);
    }
    return node || {};
  }
  function refName(node) { return node && typeof node.$ref === 'string' ? node.$ref.split('/').pop() : null; }

  // Inline markdown: backtick code spans, **bold** and *emphasis*; everything else is text.
  function inline(text) {
    var frag = document.createDocumentFragment();
    String(text).split(/(\x60[^\x60]+\x60|\*\*[^*]+\*\*|(?<![\w*])\*[^*\s][^*]*?\*(?![\w*]))/).forEach(function (part) {
      if (!part) return;
      if (part.charAt(0) === '\x60' && part.length > 1) frag.appendChild(code(part.slice(1, -1)));
      else if (part.indexOf('**') === 0 && part.length > 4) frag.appendChild(el('strong', '', [inline(part.slice(2, -2))]));
      else if (part.charAt(0) === '*' && part.length > 2) frag.appendChild(el('em', '', [inline(part.slice(1, -1))]));
      else frag.appendChild(document.createTextNode(part));
    });
    return frag;
  }

  // Block markdown as the document uses it: paragraphs, lists, headings, tables, fenced code.
  function markdown(text) {
    var frag = document.createDocumentFragment();
    var lines = String(text || '').replace(/\r/g, '').split('\n');
    var i = 0;
    function cells(line) {
      return line.trim().replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map(function (c) { return c.trim().replace(/\\\|/g, '|'); });
    }
    while (i < lines.length) {
      var line = lines[i];
      if (!line.trim()) { i++; continue; }
      if (/^\s*\x60\x60\x60/.test(line)) {
        var body = [];
        for (i++; i < lines.length && !/^\s*\x60\x60\x60/.test(lines[i]); i++) body.push(lines[i]);
        i++;
        frag.appendChild(el('pre', '', [code(body.join('\n'))]));
        continue;
      }
      var heading = /^(#{1,6})\s+(.*)$/.exec(line);
      if (heading) { frag.appendChild(el('h' + Math.min(6, heading[1].length + 1), '', [inline(heading[2])])); i++; continue; }
      if (/^\s*\|/.test(line)) {
        var rows = [];
        for (; i < lines.length && /^\s*\|/.test(lines[i]); i++) rows.push(cells(lines[i]));
        var table = el('table');
        rows.forEach(function (row, r) {
          if (r === 1 && row.every(function (c) { return /^:?-+:?$/.test(c); })) return;
          table.appendChild(el('tr', '', row.map(function (c) { return el(r === 0 ? 'th' : 'td', '', [inline(c)]); })));
        });
        frag.appendChild(el('div', 'table', [table]));
        continue;
      }
      var item = /^\s*(-|\d+\.)\s+/.exec(line);
      if (item) {
        var list = el(item[1] === '-' ? 'ul' : 'ol');
        while (i < lines.length && /^\s*(-|\d+\.)\s+/.test(lines[i])) {
          var textLines = [lines[i].replace(/^\s*(-|\d+\.)\s+/, '')];
          for (i++; i < lines.length && /^\s{2,}\S/.test(lines[i]) && !/^\s*(-|\d+\.)\s+/.test(lines[i]); i++) textLines.push(lines[i].trim());
          list.appendChild(el('li', '', [inline(textLines.join(' '))]));
        }
        frag.appendChild(list);
        continue;
      }
      var para = [];
      for (; i < lines.length && lines[i].trim() && !/^\s*(\x60\x60\x60|#|\||-\s|\d+\.\s)/.test(lines[i]); i++) para.push(lines[i].trim());
      if (!para.length) { para.push(line.trim()); i++; }
      frag.appendChild(el('p', '', [inline(para.join(' '))]));
    }
    return frag;
  }

  // One line that says what a schema accepts: "integer 0…60, default 0", "Build | null".
  function describeSchema(schema) {
    if (!schema) return 'any';
    var name = refName(schema);
    if (name) return name;
    if (schema.oneOf || schema.anyOf) return (schema.oneOf || schema.anyOf).map(describeSchema).join(' | ');
    if (schema.allOf && schema.allOf.length === 1 && !schema.type) return describeSchema(schema.allOf[0]);
    var parts = [];
    if ('const' in schema) parts.push(JSON.stringify(schema.const));
    else if (schema.enum) parts.push(schema.enum.map(function (v) { return JSON.stringify(v); }).join(' | '));
    else if (schema.type === 'array') parts.push('array of ' + describeSchema(schema.prefixItems ? { type: '[' + schema.prefixItems.map(describeSchema).join(', ') + ']' } : schema.items));
    else if (schema.type) parts.push([].concat(schema.type).join(' | '));
    else parts.push('any JSON');
    if (schema.format) parts.push('(' + schema.format + ')');
    var lo = schema.minimum !== undefined ? schema.minimum : schema.minItems !== undefined ? schema.minItems : schema.minLength;
    var hi = schema.maximum !== undefined ? schema.maximum : schema.maxItems !== undefined ? schema.maxItems : schema.maxLength;
    if (lo !== undefined || hi !== undefined) parts.push((lo !== undefined ? lo : '') + '…' + (hi !== undefined ? hi : ''));
    if (schema.pattern) parts.push('matching ' + schema.pattern);
    if (schema.default !== undefined) parts.push('default ' + JSON.stringify(schema.default));
    return parts.join(' ');
  }

  // A problem answer is one code's schema (UnauthorizedProblem) or a oneOf of them; each
  // names its code with properties.code.const.
  function problemCodes(response) {
    var media = response.content && response.content['application/problem+json'];
    var schema = media && deref(media.schema);
    var codes = [];
    ((schema && schema.oneOf) || [schema]).forEach(function (branch) {
      var c = deref(branch).properties && deref(branch).properties.code;
      if (c && typeof c.const === 'string') codes.push(c.const);
    });
    return codes;
  }

  // The schema names a media type's schema stands for: itself, or each branch of its oneOf.
  function schemaLinks(schema) {
    var names = schema && !refName(schema) && schema.oneOf ? schema.oneOf.map(refName) : [refName(schema)];
    var out = [];
    names.forEach(function (name) {
      if (!name) return;
      if (out.length) out.push(' | ');
      out.push(link('#schema-' + slug(name), [name]));
    });
    return out;
  }

  function tableOf(headers, rows) {
    var table = el('table', '', [el('tr', '', headers.map(function (h) { return el('th', '', [h]); }))]);
    rows.forEach(function (row) { table.appendChild(row); });
    return el('div', 'table', [table]);
  }

  function authLine(op) {
    var security = op.security || spec.security || [];
    if (!security.length) return el('div', 'auth', ['No token needed.']);
    var ways = security.map(function (req) {
      return Object.keys(req).map(function (name) {
        var scheme = (spec.components && spec.components.securitySchemes || {})[name] || {};
        return scheme.type === 'apiKey' ? '?' + scheme.name + '=' : scheme.scheme === 'bearer' ? 'Authorization: Bearer' : name;
      }).join(' + ');
    });
    return el('div', 'auth', ['Token: ', inline(ways.map(function (w) { return '\x60' + w + '\x60'; }).join(' or '))]);
  }

  function parametersTable(params) {
    return tableOf(['name', 'in', 'accepts', 'description'], params.map(function (raw) {
      var p = deref(raw);
      return el('tr', '', [
        el('td', '', [code(p.name), p.required ? el('span', 'muted', [' required']) : null]),
        el('td', '', [p.in]),
        el('td', '', [describeSchema(p.schema)]),
        el('td', '', [markdown(p.description || '')]),
      ]);
    }));
  }

  function responsesTable(responses) {
    return tableOf(['status', 'meaning', 'content', 'problem codes'], Object.keys(responses).map(function (status) {
      var raw = responses[status];
      var r = deref(raw);
      var content = Object.keys(r.content || {}).map(function (type) {
        var links = schemaLinks(r.content[type].schema);
        return el('div', '', [code(type), links.length ? ' ' : null].concat(links));
      });
      var headers = Object.keys(r.headers || {}).map(function (h) { return el('div', 'muted', ['header ', code(h)]); });
      var codes = problemCodes(r);
      return el('tr', '', [
        el('td', 'status s' + status.charAt(0), [status]),
        el('td', '', [markdown(r.description || '')]),
        el('td', '', content.concat(headers).length ? content.concat(headers) : [el('span', 'muted', ['no body'])]),
        el('td', '', [el('div', 'chips', codes.map(code))]),
      ]);
    }));
  }

  function operationCard(path, method, op, pathParams) {
    var id = 'op-' + method + '-' + slug(path);
    var card = el('article', 'op', [
      el('div', 'op-head', [el('span', 'method ' + method, [method.toUpperCase()]), el('span', 'path', [path]), el('span', 'summary', [op.summary || ''])]),
      authLine(op),
    ]);
    card.id = id;
    if (op.description) card.appendChild(markdown(op.description));
    var params = pathParams.concat(op.parameters || []);
    if (params.length) { card.appendChild(el('h4', '', ['Parameters'])); card.appendChild(parametersTable(params)); }
    var body = op.requestBody && deref(op.requestBody);
    if (body && body.content) {
      card.appendChild(el('h4', '', ['Request body']));
      Object.keys(body.content).forEach(function (type) {
        var name = refName(body.content[type].schema);
        card.appendChild(el('p', '', [code(type), ' ', name ? link('#schema-' + slug(name), [name]) : describeSchema(body.content[type].schema)]));
      });
    }
    card.appendChild(el('h4', '', ['Responses']));
    card.appendChild(responsesTable(op.responses || {}));
    return card;
  }

  function schemaBlock(name, raw) {
    var schema = deref(raw);
    var block = el('section', 'op schema-card', [el('h3', '', [name])]);
    block.id = 'schema-' + slug(name);
    if (schema.description) block.appendChild(markdown(schema.description));
    var bases = (schema.allOf || []).map(refName).filter(Boolean);
    if (bases.length) {
      var lead = ['With the members of '];
      bases.forEach(function (base, i) { lead.push(i > 0 ? ', ' : null, link('#schema-' + slug(base), [base])); });
      block.appendChild(el('p', '', lead.concat(['.'])));
    }
    var props = schema.properties || {};
    var keys = Object.keys(props);
    if (keys.length) {
      var required = schema.required || [];
      block.appendChild(tableOf(['member', 'accepts', 'description'], keys.map(function (key) {
        var p = props[key];
        return el('tr', '', [
          el('td', '', [code(key), required.indexOf(key) >= 0 ? el('span', 'muted', [' required']) : null]),
          el('td', '', [describeSchema(p)]),
          el('td', '', [markdown(p.description || deref(p).description || '')]),
        ]);
      })));
      var closed = schema.additionalProperties === false || schema.unevaluatedProperties === false;
      block.appendChild(el('p', 'muted', [closed ? 'No other members.' : 'Other members may appear.']));
    } else {
      block.appendChild(el('p', '', ['Accepts: ', describeSchema(schema)]));
    }
    return block;
  }

  var info = spec.info || {};
  var description = String(info.description || '');
  var split = description.split(/^## Clarifications\s*$/m);
  var paths = spec.paths || {};

  app.appendChild(el('header', '', [
    el('h1', '', [String(info.title || 'API') + ' ', el('span', 'version', ['v' + String(info.version || '?')])]),
    el('p', 'lead', [info.summary || '', ' ', link('openapi.yaml', ['openapi.yaml'])]),
  ]));
  app.appendChild(markdown(split[0]));
  if (split[1]) app.appendChild(el('section', 'note', [el('h3', '', ['Clarifications']), markdown(split[1])]));

  var toc = el('ul');
  Object.keys(paths).forEach(function (path) {
    METHODS.forEach(function (method) {
      var op = paths[path][method];
      if (!op) return;
      toc.appendChild(el('li', '', [link('#op-' + method + '-' + slug(path), [el('span', 'method ' + method, [method.toUpperCase()]), el('span', '', [path])])]));
    });
  });
  app.appendChild(el('nav', '', [el('h2', '', ['Operations']), toc]));

  Object.keys(paths).forEach(function (path) {
    var item = paths[path];
    var section = el('section', '', [el('h2', '', [code(path)])]);
    section.id = 'path-' + slug(path);
    METHODS.forEach(function (method) {
      if (item[method]) section.appendChild(operationCard(path, method, item[method], item.parameters || []));
    });
    app.appendChild(section);
  });

  var anyPath = ['RouteNotFound', 'MethodNotAllowed'].filter(function (n) { return spec.components && spec.components.responses && spec.components.responses[n]; });
  if (anyPath.length) {
    var rs = {};
    anyPath.forEach(function (n) { var r = spec.components.responses[n]; rs[n === 'RouteNotFound' ? '404' : '405'] = r; });
    app.appendChild(el('section', '', [el('h2', '', ['Any path']), el('article', 'op', [responsesTable(rs)])]));
  }

  var schemas = (spec.components && spec.components.schemas) || {};
  var schemaSection = el('section', '', [el('h2', '', ['Schemas'])]);
  Object.keys(schemas).forEach(function (name) { schemaSection.appendChild(schemaBlock(name, schemas[name])); });
  app.appendChild(schemaSection);
  if (location.hash) { var target = document.getElementById(location.hash.slice(1)); if (target) target.scrollIntoView(); }
})();
`;
