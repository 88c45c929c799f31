/* packetgen edit: a form over the packet spec, generated from its JSON Schema.
 *
 * Plain JavaScript, no framework, no build step, nothing fetched from the
 * internet. The server gives the schema and the spec as JSON (GET
 * /api/edit/state); the form is built from the schema, so a new field in the
 * spec models appears here without any change to this file. The browser keeps
 * the spec it was given and changes only what the trainer changes: unknown
 * and untouched keys go back to the server as they came.
 */
(function () {
  "use strict";

  var TOKEN = (document.querySelector('meta[name="packetgen-token"]') || {}).content || "";
  var VALIDATE_DELAY_MS = 400;
  var SMALL_MODEL = 4; // models with this many fields or fewer show them all

  var state = null; // the last GET /api/edit/state (or what a save changed of it)
  var schema = null;
  var data = null; // the working copy: the spec as the trainer is changing it
  var savedJSON = ""; // JSON of the data as last saved, to tell "not saved yet"
  var problems = [];
  var validateTimer = 0;
  var validateSeq = 0;
  var saving = false;
  var uid = 0;
  var openDetails = new Set(); // "More fields" boxes left open, by data-path
  var promoted = new WeakMap(); // object -> field names to show outside "More fields"
  var kindStash = new WeakMap(); // item -> fields put aside when its kind changed
  var filePages = new WeakMap(); // item -> page count an upload reported
  var dragging = null; // {list: "inservices[0].items", index: 2}

  var form, statusEl, announcer, summaryEl, summaryList, saveButton, undoButton;
  var previewSelect, previewFrame, pdfButton;

  // -- small helpers -----------------------------------------------------------

  function h(tag, attrs) {
    var el = typeof tag === "string" ? document.createElement(tag) : tag;
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) return;
        if (name === "text") el.textContent = value;
        else if (name === "class") el.className = value;
        else if (name.slice(0, 2) === "on") el.addEventListener(name.slice(2), value);
        else if (value === true) el.setAttribute(name, "");
        else el.setAttribute(name, String(value));
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) h.apply(null, [el, null].concat(child));
      else el.append(child);
    }
    return el;
  }

  function nextId(prefix) {
    uid += 1;
    return (prefix || "f") + "-" + uid;
  }

  function clone(value) {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  }

  function pathStr(parts) {
    var out = "";
    parts.forEach(function (part) {
      if (typeof part === "number") out += "[" + part + "]";
      else out += (out ? "." : "") + part;
    });
    return out;
  }

  function getAt(parts) {
    var node = data;
    for (var i = 0; i < parts.length; i++) {
      if (node === null || typeof node !== "object") return undefined;
      node = node[parts[i]];
    }
    return node;
  }

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  function cleanText(text) {
    // Schema descriptions are reStructuredText-ish: ``code`` and hard-wrapped lines.
    return String(text || "").replace(/``([^`]*)``/g, "$1").replace(/`([^`]*)`/g, "$1")
      .replace(/\s*\n\s*/g, " ").trim();
  }

  var ACRONYMS = { id: "ID", url: "URL", qr: "QR", mm: "(mm)", pdf: "PDF", csv: "CSV" };

  function niceLabel(text) {
    var words = String(text).replace(/([a-z])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ")
      .trim().split(/\s+/);
    return words.map(function (word, i) {
      var lower = word.toLowerCase();
      if (ACRONYMS[lower]) return ACRONYMS[lower];
      return i === 0 ? lower.charAt(0).toUpperCase() + lower.slice(1) : lower;
    }).join(" ");
  }

  function isRequiredNote() {
    return h("span", { class: "required", text: " (required)" });
  }

  // -- the schema --------------------------------------------------------------

  function deref(s) {
    var seen = 0;
    while (s && s.$ref && seen < 20) {
      var name = s.$ref.split("/").pop();
      s = (schema.$defs || {})[name] || {};
      seen += 1;
    }
    return s || {};
  }

  /* What kind of editor a schema node needs: {type, optional, schema, ...}. */
  function analyze(s) {
    var raw = s || {};
    var optional = false;
    var alternatives = raw.anyOf || (raw.oneOf && !isKindUnion(raw.oneOf) ? raw.oneOf : null);
    if (alternatives) {
      var real = alternatives.filter(function (a) { return deref(a).type !== "null"; });
      optional = real.length < alternatives.length;
      if (real.length === 1) {
        var one = analyze(real[0]);
        one.optional = optional;
        one.outer = raw;
        return one;
      }
      return { type: "union", optional: optional, options: real.map(analyze), schema: raw, outer: raw };
    }
    if (raw.oneOf) {
      var kinds = {};
      raw.oneOf.forEach(function (alt) {
        var def = deref(alt);
        kinds[def.properties.kind.const] = def;
      });
      return { type: "kinds", optional: false, kinds: kinds, schema: raw, outer: raw };
    }
    var sch = deref(raw);
    var info = { optional: false, schema: sch, outer: raw };
    if (sch.enum) info.type = "enum";
    else if ("const" in sch) info.type = "const";
    else if (sch.type === "object" && sch.properties) info.type = "object";
    else if (sch.type === "object") info.type = "map";
    else if (sch.type === "array") {
      info.type = "array";
      info.item = analyze(sch.items || {});
    } else if (sch.type === "string" || sch.type === "number" || sch.type === "integer" ||
               sch.type === "boolean") info.type = sch.type;
    else info.type = "unknown";
    return info;
  }

  function isKindUnion(alts) {
    return alts.length > 1 && alts.every(function (a) {
      var def = deref(a);
      return def.properties && def.properties.kind && "const" in def.properties.kind;
    });
  }

  function countRefs(def) {
    var counts = {};
    Object.keys(def.properties || {}).forEach(function (key) {
      var p = def.properties[key];
      var refs = [];
      if (p.$ref) refs.push(p.$ref);
      (p.anyOf || []).forEach(function (a) { if (a.$ref) refs.push(a.$ref); });
      refs.forEach(function (r) { counts[r] = (counts[r] || 0) + 1; });
    });
    return counts;
  }

  function refOf(p) {
    if (p.$ref) return p.$ref;
    var found = (p.anyOf || []).filter(function (a) { return a.$ref; });
    return found.length === 1 ? found[0].$ref : null;
  }

  /* One field of a model: everything the renderer needs to know about it. */
  function describe(def, key) {
    var p = def.properties[key];
    var info = analyze(p);
    var label;
    if (p.title) label = niceLabel(p.title);
    else {
      var ref = refOf(p);
      var shared = ref && countRefs(def)[ref] > 1;
      label = ref && !shared ? niceLabel(deref({ $ref: ref }).title || key) : niceLabel(key);
    }
    var description = p.description || (info.schema && info.schema.description) || "";
    return {
      key: key,
      label: label,
      help: cleanText(description),
      rawHelp: description,
      required: (def.required || []).indexOf(key) >= 0,
      info: info,
      hasDefault: "default" in p,
      defaultValue: p.default,
    };
  }

  function singular(info, fallback) {
    var title = info && info.schema && info.schema.title;
    return title ? niceLabel(title) : fallback;
  }

  // -- talking to the server ---------------------------------------------------

  function request(method, url, body, headers) {
    var init = { method: method, headers: { "X-Packetgen-Token": TOKEN }, credentials: "same-origin" };
    Object.keys(headers || {}).forEach(function (k) { init.headers[k] = headers[k]; });
    if (body !== undefined) {
      if (body instanceof Blob) init.body = body;
      else {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
    }
    return fetch(url, init).then(function (response) {
      return response.text().then(function (text) {
        var json = null;
        try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
        return { status: response.status, ok: response.ok, body: json, text: text };
      });
    }, function () {
      return { status: 0, ok: false, body: null, text: "" };
    });
  }

  function errorText(res, fallback) {
    if (res.body && res.body.error) return res.body.error;
    if (res.status === 0) return "packetgen is not answering. Is the editor still running in the terminal?";
    if (res.status === 403) return "this page's session has ended: start packetgen edit again and use the new address.";
    return fallback;
  }

  // -- status and announcements ------------------------------------------------

  function setStatus(text, tone) {
    statusEl.textContent = text;
    statusEl.dataset.tone = tone || "";
  }

  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 30);
  }

  function isDirty() {
    return JSON.stringify(data) !== savedJSON;
  }

  function refreshDirty() {
    if (saving) return;
    if (problems.length) {
      setStatus(plural(problems.length, "problem") + " to fix before saving", "problem");
    } else if (isDirty()) {
      setStatus("Changes not saved yet", "dirty");
    } else if (statusEl.dataset.tone === "dirty" || statusEl.dataset.tone === "problem") {
      setStatus("No changes since the last save", "");
    }
  }

  // -- changing the data -------------------------------------------------------

  function changed() {
    document.getElementById("packet-title").textContent = data.title || "Untitled packet";
    refreshDirty();
    window.clearTimeout(validateTimer);
    validateTimer = window.setTimeout(validate, VALIDATE_DELAY_MS);
  }

  function validate() {
    validateTimer = 0;
    var seq = ++validateSeq;
    var sent = JSON.stringify(data);
    request("POST", "/api/edit/validate", { data: data }).then(function (res) {
      if (seq !== validateSeq || JSON.stringify(data) !== sent) return;
      if (res.ok && res.body) {
        applyProblems(res.body.problems || []);
        showWarnings(res.body.warnings || []);
        refreshDirty();
      }
    });
  }

  /* Re-render the form, keeping scroll and putting focus on `focusKey`. */
  function rerender(focusKey) {
    var pane = document.getElementById("form-pane");
    var paneTop = pane.scrollTop;
    var pageTop = window.scrollY;
    var active = document.activeElement;
    var key = focusKey || (active && active.dataset ? active.dataset.focusKey : null);
    renderForm();
    pane.scrollTop = paneTop;
    window.scrollTo(window.scrollX, pageTop);
    if (key) focusByKey(key);
    applyProblems(problems);
  }

  function focusByKey(key) {
    var el = form.querySelector('[data-focus-key="' + CSS.escape(key) + '"]');
    if (!el || el.disabled) {
      el = form.querySelector('[data-field="' + CSS.escape(key) + '"]');
    }
    if (el) {
      openAncestors(el);
      el.focus();
    }
  }

  function openAncestors(el) {
    for (var node = el.parentElement; node; node = node.parentElement) {
      if (node.tagName === "DETAILS" && !node.open) {
        node.open = true;
        if (node.dataset.path !== undefined) openDetails.add(node.dataset.path);
      }
    }
  }

  function promote(obj, key) {
    if (!isObject(obj)) return;
    if (!promoted.has(obj)) promoted.set(obj, new Set());
    promoted.get(obj).add(key);
  }

  // -- rendering: scalars ------------------------------------------------------

  function looksLong(field, value) {
    var name = field.key.toLowerCase();
    if (/markdown/i.test(field.rawHelp)) return true;
    if (["summary", "description", "excerpt", "advisory", "notes", "access"].indexOf(name) >= 0) return true;
    return typeof value === "string" && value.indexOf("\n") >= 0;
  }

  /* A labelled control with its help and its (hidden) error line. */
  function fieldShell(field, control, id, extraClass) {
    var helpId = field.help ? id + "-help" : null;
    var errorId = id + "-error";
    control.id = id;
    if (helpId) control.setAttribute("aria-describedby", helpId);
    control.dataset.describedby = helpId || "";
    var label = h("label", { for: id, class: "field-label" }, field.label,
      field.required ? isRequiredNote() : null);
    return h("div", { class: "field" + (extraClass ? " " + extraClass : "") },
      label,
      helpId ? h("p", { class: "help", id: helpId, text: field.help }) : null,
      control,
      h("p", { class: "field-error", id: errorId, hidden: true }));
  }

  function removeKey(obj, key) {
    if (Object.prototype.hasOwnProperty.call(obj, key)) delete obj[key];
  }

  function renderScalar(field, obj, key, path) {
    var info = field.info;
    var value = obj[key];
    var hadKey = Object.prototype.hasOwnProperty.call(obj, key);
    var id = nextId("f");
    var fieldPath = pathStr(path);
    var canRemove = info.optional || field.hasDefault || !field.required;
    var control;

    if (info.type === "boolean" && !info.optional) {
      control = h("input", { type: "checkbox", "data-field": fieldPath });
      control.checked = value === true;
      control.addEventListener("change", function () {
        if (!control.checked && !hadKey && field.defaultValue === false) removeKey(obj, key);
        else if (control.checked && !hadKey && field.defaultValue === true) removeKey(obj, key);
        else obj[key] = control.checked;
        changed();
      });
      var helpId = field.help ? id + "-help" : null;
      control.id = id;
      if (helpId) control.setAttribute("aria-describedby", helpId);
      control.dataset.describedby = helpId || "";
      return h("div", { class: "field field-check field-compact" },
        h("div", { class: "check-row" }, control,
          h("label", { for: id, class: "field-label" }, field.label)),
        helpId ? h("p", { class: "help", id: helpId, text: field.help }) : null,
        h("p", { class: "field-error", id: id + "-error", hidden: true }));
    }

    if (info.type === "enum" || info.type === "boolean" || info.type === "const") {
      var choices = info.type === "enum" ? info.schema.enum.slice()
        : info.type === "boolean" ? [true, false] : [info.schema.const];
      if (hadKey && choices.indexOf(value) < 0) choices.push(value);
      control = h("select", { "data-field": fieldPath });
      var empty = null;
      if (!hadKey || canRemove) {
        var d = field.defaultValue;
        var text = d !== undefined && d !== null ? "Default (" + showChoice(d) + ")" : "Not set";
        empty = h("option", { value: "", text: text });
        control.append(empty);
      }
      choices.forEach(function (choice, i) {
        control.append(h("option", { value: String(i), text: showChoice(choice) }));
      });
      control.value = hadKey ? String(choices.indexOf(value)) : "";
      control.addEventListener("change", function () {
        if (control.value === "") removeKey(obj, key);
        else obj[key] = choices[Number(control.value)];
        changed();
      });
      return fieldShell(field, control, id, "field-compact");
    }

    var shown = value === undefined || value === null ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
    var numeric = info.type === "number" || info.type === "integer";
    var type = null;
    if (info.type === "string" && looksLong(field, value)) {
      var rows = Math.min(12, Math.max(3, shown.split("\n").length + 1));
      control = h("textarea", { rows: rows, "data-field": fieldPath, spellcheck: "true" });
      control.value = shown;
    } else {
      type = "text";
      // A number input cannot show text; a value that is not a number stays visible as text.
      var asNumber = numeric && (value === undefined || value === null || typeof value === "number");
      if (info.schema.format === "date") type = "date";
      else if (info.schema.format === "email" || /^email$/.test(key)) type = "email";
      else if (asNumber) type = "number";
      control = h("input", {
        type: type,
        "data-field": fieldPath,
        step: type === "number" ? (info.type === "integer" ? "1" : "any") : null,
        min: type === "number" && "minimum" in info.schema ? info.schema.minimum : null,
        max: type === "number" && "maximum" in info.schema ? info.schema.maximum : null,
        inputmode: numeric && type !== "number" ? (info.type === "integer" ? "numeric" : "decimal") : null,
        autocomplete: "off",
        spellcheck: numeric || key === "id" || /url|file|email/.test(key) ? "false" : null,
        class: numeric ? "input-number" : null,
      });
      control.value = shown;
    }
    control.addEventListener("input", function () {
      var raw = control.value;
      if (raw.trim() === "" && (canRemove || numeric)) {
        removeKey(obj, key);
      } else if (numeric) {
        var t = raw.trim();
        var ok = info.type === "integer" ? /^[-+]?\d+$/.test(t) : /^[-+]?(\d+\.?\d*|\.\d+)$/.test(t);
        obj[key] = ok ? Number(t) : raw;
      } else {
        obj[key] = raw;
      }
      if (key === "title") updateHeadingFor(control);
      changed();
    });
    var compact = numeric || type === "date";
    return fieldShell(field, control, id, control.tagName === "TEXTAREA" ? "field-long" : compact ? "field-compact" : null);
  }

  function showChoice(value) {
    if (value === true) return "Yes";
    if (value === false) return "No";
    return String(value);
  }

  function updateHeadingFor(control) {
    var card = control.closest("[data-card]");
    if (!card || control.dataset.field !== card.dataset.path + ".title") return;
    var heading = card.querySelector("[data-card-title]");
    if (heading) heading.textContent = cardTitle(card.dataset.card, getAt(parsePath(card.dataset.path)));
  }

  function parsePath(text) {
    var parts = [];
    String(text).replace(/([^.[\]]+)|\[(\d+)\]/g, function (m, name, index) {
      parts.push(index !== undefined ? Number(index) : name);
      return m;
    });
    return parts;
  }

  // -- rendering: objects ------------------------------------------------------

  /* The fields of a model: the ones the data has and the required ones, then
   * the rest in a "More fields" box. Keys the schema does not know are kept. */
  function renderFields(def, obj, path, options) {
    options = options || {};
    var skip = options.skip || [];
    var keys = Object.keys(def.properties || {}).filter(function (k) { return skip.indexOf(k) < 0; });
    var small = keys.length <= SMALL_MODEL;
    var forced = promoted.get(obj) || new Set();
    var main = [];
    var more = [];
    keys.forEach(function (key) {
      var field = describe(def, key);
      var el = renderField(field, obj, key, path.concat([key]));
      var present = Object.prototype.hasOwnProperty.call(obj, key);
      if (small || present || field.required || forced.has(key)) main.push(el);
      else more.push(el);
    });
    var out = [h("div", { class: "fields" }, main)];
    if (more.length) {
      var detailsPath = pathStr(path) + "#more";
      var details = h("details", { class: "more-fields", "data-path": detailsPath },
        h("summary", {}, "More fields", h("span", { class: "count", text: " (" + more.length + ")" })),
        h("div", { class: "fields" }, more));
      details.open = openDetails.has(detailsPath);
      details.addEventListener("toggle", function () {
        if (details.open) openDetails.add(detailsPath);
        else openDetails.delete(detailsPath);
      });
      out.push(details);
    }
    var unknown = Object.keys(obj).filter(function (k) {
      return !(def.properties || {})[k] && skip.indexOf(k) < 0;
    });
    unknown.forEach(function (key) {
      out.push(h("p", { class: "kept-note", "data-path": pathStr(path.concat([key])) },
        "This part of the spec also has ", h("code", { text: key }),
        ", which the editor does not show; it is kept as it is."));
    });
    return out;
  }

  function renderField(field, obj, key, path) {
    var info = field.info;
    switch (info.type) {
      case "object": return renderObject(field, obj, key, path);
      case "map": return renderMap(field, obj, key, path);
      case "array":
        if (info.item.type === "object") return renderObjectList(field, obj, key, path);
        if (info.item.type === "kinds") return renderItems(field, obj, key, path);
        return renderStringList(field, obj, key, path);
      case "union": return renderUnion(field, obj, key, path);
      case "unknown": return renderJSON(field, obj, key, path);
      default: return renderScalar(field, obj, key, path);
    }
  }

  function legendFor(field) {
    return h("legend", {}, field.label, field.required ? isRequiredNote() : null);
  }

  function helpFor(field) {
    return field.help ? h("p", { class: "help", text: field.help }) : null;
  }

  function renderObject(field, obj, key, path) {
    var value = obj[key];
    var p = pathStr(path);
    if (!isObject(value)) {
      var add = h("button", {
        type: "button", class: "button button-small", "data-focus-key": "add:" + p,
        text: "Add " + field.label.toLowerCase(),
        onclick: function () {
          obj[key] = {};
          rerender("remove:" + p);
          announce(field.label + " added.");
          changed();
        },
      });
      return h("div", { class: "field field-absent", "data-path": p },
        h("p", { class: "field-label", text: field.label }), helpFor(field), add);
    }
    var def = schemaOf(field);
    var remove = field.required ? null : h("button", {
      type: "button", class: "button button-small button-quiet", "data-focus-key": "remove:" + p,
      text: "Remove " + field.label.toLowerCase(),
      onclick: function () {
        delete obj[key];
        rerender("add:" + p);
        announce(field.label + " removed.");
        changed();
      },
    });
    return h("fieldset", { class: "group", "data-path": p },
      legendFor(field), helpFor(field),
      renderFields(def, value, path),
      remove ? h("div", { class: "group-actions" }, remove) : null);
  }

  function schemaOf(field) {
    return field.info.schema;
  }

  function renderJSON(field, obj, key, path) {
    var p = h("p", { class: "kept-note", "data-path": pathStr(path) }, field.label +
      ": the editor cannot show this field; it is kept as it is.");
    return p;
  }

  function renderMap(field, obj, key, path) {
    var value = isObject(obj[key]) ? obj[key] : null;
    var p = pathStr(path);
    var names = schemaOf(field).propertyNames && schemaOf(field).propertyNames.enum;
    var rows = h("ul", { class: "plain-list" });
    var entries = value ? Object.keys(value) : [];

    function rebuild(pairs) {
      if (!pairs.length && !field.required) {
        delete obj[key];
        return;
      }
      var target = obj[key] || (obj[key] = {});
      Object.keys(target).forEach(function (k) { delete target[k]; });
      pairs.forEach(function (pair) { target[pair[0]] = pair[1]; });
    }

    function pairsFromRows() {
      return Array.prototype.map.call(rows.children, function (li) {
        return [li.querySelector("[data-map-key]").value, li.querySelector("[data-map-value]").value];
      });
    }

    entries.forEach(function (name, i) {
      var keyId = nextId("k");
      var valueId = nextId("v");
      var keyControl;
      if (names) {
        keyControl = h("select", { id: keyId, "data-map-key": "1" });
        var options = names.indexOf(name) >= 0 ? names : names.concat([name]);
        options.forEach(function (n) { keyControl.append(h("option", { value: n, text: n })); });
        keyControl.value = name;
      } else {
        keyControl = h("input", { type: "text", id: keyId, "data-map-key": "1", spellcheck: "false" });
        keyControl.value = name;
      }
      var valueControl = h("input", { type: "text", id: valueId, "data-map-value": "1",
        "data-field": pathStr(path.concat([name])) });
      valueControl.value = String(value[name]);
      var update = function () {
        rebuild(pairsFromRows());
        valueControl.dataset.field = pathStr(path.concat([keyControl.value]));
        changed();
      };
      keyControl.addEventListener(names ? "change" : "input", update);
      valueControl.addEventListener("input", update);
      rows.append(h("li", { class: "map-row" },
        h("div", { class: "field" }, h("label", { for: keyId, class: "field-label", text: "Name" }), keyControl),
        h("div", { class: "field" }, h("label", { for: valueId, class: "field-label", text: "Text" }), valueControl,
          h("p", { class: "field-error", id: valueId + "-error", hidden: true })),
        h("button", {
          type: "button", class: "button button-small button-quiet", text: "Remove",
          "aria-label": "Remove " + field.label.toLowerCase() + " entry " + (i + 1),
          "data-focus-key": "map-add:" + p,
          onclick: function () {
            var pairs = pairsFromRows();
            pairs.splice(i, 1);
            rebuild(pairs);
            rerender("map-add:" + p);
            changed();
          },
        })));
    });
    var add = h("button", {
      type: "button", class: "button button-small", "data-focus-key": "map-add:" + p,
      text: "Add an entry",
      "aria-label": "Add an entry to " + field.label.toLowerCase(),
      onclick: function () {
        var pairs = value ? Object.keys(value).map(function (k) { return [k, value[k]]; }) : [];
        var fresh = names ? names.filter(function (n) { return !value || !(n in value); })[0] || "" : "";
        if (!names) {
          fresh = "new";
          for (var n = 2; value && fresh in value; n++) fresh = "new-" + n;
        }
        pairs.push([fresh, ""]);
        rebuild(pairs);
        rerender("map-add:" + p);
        changed();
      },
    });
    return h("fieldset", { class: "group", "data-path": p }, legendFor(field), helpFor(field),
      entries.length ? rows : null, h("div", { class: "group-actions" }, add));
  }

  function renderStringList(field, obj, key, path) {
    var list = Array.isArray(obj[key]) ? obj[key] : null;
    var p = pathStr(path);
    var ul = h("ul", { class: "plain-list string-list" });
    (list || []).forEach(function (value, i) {
      var id = nextId("s");
      var input = h("input", { type: "text", id: id, "data-field": pathStr(path.concat([i])) });
      input.value = value === null || value === undefined ? "" : String(value);
      input.addEventListener("input", function () {
        list[i] = input.value;
        changed();
      });
      ul.append(h("li", { class: "string-row" },
        h("label", { for: id, class: "visually-hidden", text: field.label + ", line " + (i + 1) }),
        input,
        h("button", {
          type: "button", class: "button button-small button-quiet", text: "Remove",
          "aria-label": "Remove " + field.label.toLowerCase() + " line " + (i + 1),
          onclick: function () {
            list.splice(i, 1);
            if (!list.length && !field.required) delete obj[key];
            var focus = list.length ? pathStr(path.concat([Math.min(i, list.length - 1)])) : "list-add:" + p;
            rerender(focus);
            announce("Line " + (i + 1) + " removed.");
            changed();
          },
        }),
        h("p", { class: "field-error", id: id + "-error", hidden: true })));
    });
    var add = h("button", {
      type: "button", class: "button button-small", "data-focus-key": "list-add:" + p,
      text: "Add a line",
      "aria-label": "Add a line to " + field.label.toLowerCase(),
      onclick: function () {
        if (!Array.isArray(obj[key])) obj[key] = [];
        obj[key].push("");
        promote(obj, key);
        rerender(pathStr(path.concat([obj[key].length - 1])));
        changed();
      },
    });
    return h("fieldset", { class: "group", "data-path": p }, legendFor(field), helpFor(field),
      list && list.length ? ul : null, h("div", { class: "group-actions" }, add));
  }

  function moveIn(list, from, to) {
    if (to < 0 || to >= list.length || from === to) return false;
    var moved = list.splice(from, 1)[0];
    list.splice(to, 0, moved);
    return true;
  }

  /* Up / down / remove buttons and a drag handle for one card of a list. */
  function cardTools(list, i, listPath, name, onRemove, extra) {
    var here = pathStr(listPath.concat([i]));
    function move(delta, which) {
      return function () {
        if (!moveIn(list, i, i + delta)) return;
        var to = pathStr(listPath.concat([i + delta]));
        var target = "move-" + which + ":" + to;
        rerender(target);
        var el = form.querySelector('[data-focus-key="' + CSS.escape(target) + '"]');
        if (el && el.disabled) focusByKey("move-" + (which === "up" ? "down" : "up") + ":" + to);
        var moved = list[i + delta];
        var what = isObject(moved) && typeof moved.title === "string" && moved.title.trim()
          ? "“" + moved.title.trim() + "”" : name.charAt(0).toUpperCase() + name.slice(1);
        announce(what + " moved to position " + (i + delta + 1) + " of " + list.length + ".");
        changed();
      };
    }
    return h("div", { class: "card-tools" },
      extra || null,
      h("button", {
        type: "button", class: "button button-small", text: "Move up", disabled: i === 0,
        "aria-label": "Move up, " + name, "data-focus-key": "move-up:" + here, onclick: move(-1, "up"),
      }),
      h("button", {
        type: "button", class: "button button-small", text: "Move down", disabled: i === list.length - 1,
        "aria-label": "Move down, " + name, "data-focus-key": "move-down:" + here, onclick: move(1, "down"),
      }),
      h("button", {
        type: "button", class: "button button-small button-danger", text: "Remove",
        "aria-label": "Remove " + name, "data-focus-key": "remove-card:" + here, onclick: onRemove,
      }));
  }

  function dragHandle(listPath, i) {
    var handle = h("span", {
      class: "drag-handle", draggable: "true", title: "Drag to move", "aria-hidden": "true",
    }, h("span", { class: "grip" }));
    handle.addEventListener("dragstart", function (event) {
      var card = handle.closest("[data-card]");
      dragging = { list: pathStr(listPath), index: i };
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", pathStr(listPath.concat([i])));
      if (card) {
        event.dataTransfer.setDragImage(card, 20, 20);
        card.classList.add("is-dragging");
      }
    });
    handle.addEventListener("dragend", function () {
      dragging = null;
      form.querySelectorAll(".is-dragging, .drop-before, .drop-after").forEach(function (el) {
        el.classList.remove("is-dragging", "drop-before", "drop-after");
      });
    });
    return handle;
  }

  function makeDropTarget(card, list, listPath, i, name) {
    var listKey = pathStr(listPath);
    function after(event) {
      var box = card.getBoundingClientRect();
      return event.clientY > box.top + box.height / 2;
    }
    card.addEventListener("dragover", function (event) {
      if (!dragging || dragging.list !== listKey) return;
      event.preventDefault();
      event.stopPropagation();
      event.dataTransfer.dropEffect = "move";
      var below = after(event);
      card.classList.toggle("drop-after", below);
      card.classList.toggle("drop-before", !below);
    });
    card.addEventListener("dragleave", function (event) {
      if (!card.contains(event.relatedTarget)) card.classList.remove("drop-before", "drop-after");
    });
    card.addEventListener("drop", function (event) {
      if (!dragging || dragging.list !== listKey) return;
      event.preventDefault();
      event.stopPropagation();
      var from = dragging.index;
      var to = after(event) ? i + 1 : i;
      if (from < to) to -= 1;
      dragging = null;
      if (moveIn(list, from, to)) {
        rerender("move-up:" + pathStr(listPath.concat([to])));
        var moved = list[to];
        announce(cardTitle(name, moved) + " moved to position " + (to + 1) + " of " + list.length + ".");
        changed();
      } else {
        rerender();
      }
    });
  }

  function cardTitle(kind, obj) {
    if (!isObject(obj)) return kind;
    var title = typeof obj.title === "string" && obj.title.trim() ? obj.title.trim() : "";
    if (kind === "inservice") return title || "Untitled in-service";
    if (kind === "item") {
      var k = kindLabel(obj.kind);
      return title ? k + ": " + title : k + " (no title yet)";
    }
    return title || kind;
  }

  function renderObjectList(field, obj, key, path) {
    var list = Array.isArray(obj[key]) ? obj[key] : null;
    var p = pathStr(path);
    var itemDef = field.info.item.schema;
    var one = singular(field.info.item, field.label);
    var ol = h("ol", { class: "card-list" });
    (list || []).forEach(function (entry, i) {
      var here = path.concat([i]);
      var name = one.toLowerCase() + " " + (i + 1);
      var card = h("li", { class: "card card-small", "data-card": one, "data-path": pathStr(here) },
        h("fieldset", { class: "card-fieldset" },
          h("legend", { class: "card-legend" }, dragHandle(path, i), one + " " + (i + 1)),
          cardTools(list, i, path, name, function () {
            list.splice(i, 1);
            if (!list.length && !field.required) delete obj[key];
            rerender(list.length ? "remove-card:" + pathStr(path.concat([Math.min(i, list.length - 1)])) : "obj-add:" + p);
            announce(one + " " + (i + 1) + " removed.");
            changed();
          }),
          isObject(entry) ? renderFields(itemDef, entry, here) : h("p", { class: "kept-note", text: "This entry is not a set of fields; it is kept as it is." })));
      makeDropTarget(card, list, path, i, one);
      ol.append(card);
    });
    var add = h("button", {
      type: "button", class: "button button-small", "data-focus-key": "obj-add:" + p,
      text: "Add " + one.toLowerCase(),
      onclick: function () {
        if (!Array.isArray(obj[key])) obj[key] = [];
        obj[key].push({});
        promote(obj, key);
        var index = obj[key].length - 1;
        var first = firstFieldKey(itemDef);
        rerender(first ? pathStr(path.concat([index, first])) : "remove-card:" + pathStr(path.concat([index])));
        announce(one + " " + (index + 1) + " added.");
        changed();
      },
    });
    return h("fieldset", { class: "group", "data-path": p }, legendFor(field), helpFor(field),
      list && list.length ? ol : null, h("div", { class: "group-actions" }, add));
  }

  function firstFieldKey(def) {
    var keys = Object.keys(def.properties || {});
    return keys.length ? keys[0] : null;
  }

  function renderUnion(field, obj, key, path) {
    var value = obj[key];
    var has = Object.prototype.hasOwnProperty.call(obj, key) && value !== null;
    var options = field.info.options;
    function matches(opt, v) {
      if (opt.type === "array") return Array.isArray(v);
      if (opt.type === "object" || opt.type === "map") return isObject(v);
      if (opt.type === "integer") return Number.isInteger(v);
      if (opt.type === "enum") return opt.schema.enum.indexOf(v) >= 0;
      return typeof v === opt.type;
    }
    function optionLabel(opt) {
      if (opt.type === "array") return "A list";
      if (opt.type === "object") return niceLabel(opt.schema.title || "A set of fields");
      if (opt.type === "string" || opt.type === "enum") return "Text";
      if (opt.type === "number" || opt.type === "integer") return "A number";
      if (opt.type === "boolean") return "Yes or no";
      return "Other";
    }
    var current = has ? options.findIndex(function (o) { return matches(o, value); }) : -1;
    var id = nextId("u");
    var select = h("select", { id: id, "data-field": has && current < 0 ? pathStr(path) : null });
    select.append(h("option", { value: "", text: "Not set" }));
    options.forEach(function (opt, i) { select.append(h("option", { value: String(i), text: optionLabel(opt) })); });
    select.value = current >= 0 ? String(current) : "";
    select.dataset.focusKey = "union:" + pathStr(path);
    select.addEventListener("change", function () {
      if (select.value === "") delete obj[key];
      else {
        var opt = options[Number(select.value)];
        obj[key] = opt.type === "array" ? [] : opt.type === "object" || opt.type === "map" ? {} :
          opt.type === "boolean" ? false : "";
      }
      promote(obj, key);
      rerender("union:" + pathStr(path));
      changed();
    });
    var sub = null;
    if (current >= 0) {
      var subField = Object.assign({}, field, { info: Object.assign({}, options[current], { optional: true }), help: "" });
      sub = renderField(subField, obj, key, path);
    }
    return h("fieldset", { class: "group", "data-path": pathStr(path) }, legendFor(field), helpFor(field),
      h("div", { class: "field" }, h("label", { for: id, class: "field-label", text: "Given as" }), select),
      sub);
  }

  // -- rendering: items (a union by kind) --------------------------------------

  var kindDefs = {};

  function kindLabel(kind) {
    var def = kindDefs[kind];
    return def ? niceLabel(def.title || kind) : String(kind || "Item");
  }

  function changeKind(item, newKind) {
    var def = kindDefs[newKind];
    if (!def) return;
    var stash = kindStash.get(item) || {};
    Object.keys(item).forEach(function (k) {
      if (k !== "kind" && !def.properties[k]) {
        stash[k] = item[k];
        delete item[k];
      }
    });
    Object.keys(stash).forEach(function (k) {
      if (def.properties[k] && !(k in item)) {
        item[k] = stash[k];
        delete stash[k];
      }
    });
    kindStash.set(item, stash);
    item.kind = newKind;
  }

  function kindSelect(id, value, fieldPath) {
    var select = h("select", { id: id, "data-field": fieldPath || null });
    Object.keys(kindDefs).forEach(function (kind) {
      var def = kindDefs[kind];
      var about = cleanText(def.description || "").replace(/\.$/, "");
      select.append(h("option", { value: kind, text: kindLabel(kind) + (about ? " — " + about : "") }));
    });
    if (value !== undefined && !kindDefs[value]) {
      select.append(h("option", { value: String(value), text: String(value) + " (unknown kind)" }));
    }
    if (value !== undefined) select.value = String(value);
    return select;
  }

  function renderItems(field, obj, key, path) {
    kindDefs = field.info.item.kinds;
    var list = Array.isArray(obj[key]) ? obj[key] : null;
    var p = pathStr(path);
    var headingLevel = path.length > 2 ? "h4" : "h3";
    var itemLevel = headingLevel === "h4" ? "h5" : "h4";
    var headingId = nextId("items");
    var ol = h("ol", { class: "card-list item-list" });
    (list || []).forEach(function (item, i) {
      var here = path.concat([i]);
      var hereStr = pathStr(here);
      var name = cardTitle("item", item);
      var selectId = nextId("kind");
      var body;
      if (isObject(item)) {
        var select = kindSelect(selectId, item.kind, pathStr(here.concat(["kind"])));
        select.addEventListener("change", function () {
          changeKind(item, select.value);
          rerender(pathStr(here.concat(["kind"])));
          announce("Item " + (i + 1) + " is now a " + kindLabel(select.value).toLowerCase() + ".");
          changed();
        });
        var def = kindDefs[item.kind];
        var pages = filePages.get(item);
        body = [
          h("div", { class: "field field-kind" },
            h("label", { for: selectId, class: "field-label" }, "Kind", isRequiredNote()),
            select,
            h("p", { class: "field-error", id: selectId + "-error", hidden: true })),
          pages ? h("p", { class: "file-note", text: "The file has " + plural(pages, "page") + "." }) : null,
          def ? renderFields(def, item, here, { skip: ["kind"] })
            : h("p", { class: "kept-note", text: "Choose a kind above to see this item's fields." }),
        ];
        select.id = selectId;
      } else {
        body = [h("p", { class: "kept-note", text: "This item is not a set of fields; it is kept as it is." })];
      }
      var card = h("li", { class: "card item-card", "data-card": "item", "data-path": hereStr,
        "aria-labelledby": selectId + "-h" },
        h("div", { class: "card-head" },
          dragHandle(path, i),
          h(itemLevel, { class: "card-title", id: selectId + "-h" },
            h("span", { class: "card-number", text: (i + 1) + ". " }),
            h("span", { "data-card-title": "1", text: name })),
          cardTools(list, i, path, "item " + (i + 1), function () {
            list.splice(i, 1);
            var next = list.length ? "remove-card:" + pathStr(path.concat([Math.min(i, list.length - 1)])) : "item-add:" + p;
            rerender(next);
            announce("Removed " + name + ". Not saved yet.");
            changed();
          })),
        h("div", { class: "card-body" }, body));
      makeDropTarget(card, list, path, i, "item");
      ol.append(card);
    });

    var addKindId = nextId("addkind");
    var addKind = kindSelect(addKindId, "note");
    var linkId = nextId("link");
    var linkInput = h("input", { type: "url", id: linkId, inputmode: "url", autocomplete: "off",
      spellcheck: "false", placeholder: "https://", "aria-describedby": linkId + "-error" });
    var linkError = h("p", { class: "field-error", id: linkId + "-error", hidden: true, role: "alert" });
    var fileId = nextId("file");
    var fileInput = h("input", { type: "file", id: fileId, class: "file-input",
      "aria-describedby": fileId + "-hint " + fileId + "-error" });
    var fileError = h("p", { class: "field-error", id: fileId + "-error", hidden: true, role: "alert" });

    function ensureList() {
      if (!Array.isArray(obj[key])) obj[key] = [];
      return obj[key];
    }

    function added(item, focusField, message) {
      var items = ensureList();
      items.push(item);
      var index = items.length - 1;
      rerender(pathStr(path.concat([index, focusField])));
      announce(message);
      changed();
    }

    function addLink() {
      var url = linkInput.value.trim();
      showInlineError(linkInput, linkError, "");
      if (!url) {
        showInlineError(linkInput, linkError, "Paste a web address first, starting with https://");
        linkInput.focus();
        return;
      }
      linkButton.disabled = true;
      setStatus("Looking at the link…", "busy");
      request("POST", "/api/edit/link", { url: url }).then(function (res) {
        linkButton.disabled = false;
        if (res.ok && res.body && res.body.item) {
          added(res.body.item, "title", "Added " + cardTitle("item", res.body.item) + ". Check its title.");
          refreshDirty();
        } else {
          showInlineError(linkInput, linkError, errorText(res, "That link could not be added."));
          linkInput.focus();
          refreshDirty();
        }
      });
    }

    function upload(file) {
      if (!file) return;
      showInlineError(fileInput, fileError, "");
      setStatus("Copying " + file.name + " into the packet folder…", "busy");
      request("POST", "/api/edit/upload", file, {
        "X-Packetgen-Filename": encodeURIComponent(file.name),
        "Content-Type": file.type || "application/octet-stream",
      }).then(function (res) {
        fileInput.value = "";
        if (res.ok && res.body && res.body.item) {
          var item = res.body.item;
          (res.body.offer || []).forEach(function (k) { promote(item, k); });
          if (typeof res.body.pages === "number") filePages.set(item, res.body.pages);
          var note = typeof res.body.pages === "number" ? " (" + plural(res.body.pages, "page") + ")" : "";
          added(item, "title", "Added " + cardTitle("item", item) + note + ".");
        } else {
          showInlineError(fileInput, fileError, errorText(res, "That file could not be added."));
          fileInput.focus();
        }
        refreshDirty();
      });
    }

    var addButton = h("button", {
      type: "button", class: "button button-small", text: "Add item", "data-focus-key": "item-add:" + p,
      onclick: function () {
        var item = { kind: addKind.value, title: "" };
        added(item, "title", "Added a new " + kindLabel(item.kind).toLowerCase() + " at the end. Type its title.");
      },
    });
    var linkButton = h("button", { type: "button", class: "button button-small", text: "Add link", onclick: addLink });
    linkInput.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        addLink();
      }
    });
    fileInput.addEventListener("change", function () { upload(fileInput.files[0]); });

    var zone = h("div", { class: "drop-zone" },
      h("label", { for: fileId, class: "field-label", text: "Add a handout file" }),
      h("p", { class: "help", id: fileId + "-hint",
        text: "Drop a PDF, picture or slide deck here, or choose it. It is copied into the packet's handouts folder." }),
      fileInput, fileError);
    zone.addEventListener("dragover", function (event) {
      if (dragging || !event.dataTransfer || Array.prototype.indexOf.call(event.dataTransfer.types, "Files") < 0) return;
      event.preventDefault();
      zone.classList.add("is-over");
    });
    zone.addEventListener("dragleave", function () { zone.classList.remove("is-over"); });
    zone.addEventListener("drop", function (event) {
      if (!event.dataTransfer || !event.dataTransfer.files.length) return;
      event.preventDefault();
      zone.classList.remove("is-over");
      upload(event.dataTransfer.files[0]);
    });

    // A plain section (no accessible name): one landmark per in-service would crowd the list.
    return h("section", { class: "items", "data-path": p },
      h(headingLevel, { id: headingId, class: "items-heading" }, field.label,
        h("span", { class: "count", text: " (" + (list ? list.length : 0) + ")" })),
      helpFor(field),
      list && list.length ? ol : h("p", { class: "empty-note", text: "No items yet. Add the first one below." }),
      h("div", { class: "add-tools" },
        h("div", { class: "add-row" },
          h("div", { class: "field" }, h("label", { for: addKindId, class: "field-label", text: "Kind of item to add" }), addKind),
          addButton),
        h("div", { class: "add-row" },
          h("div", { class: "field field-grow" }, h("label", { for: linkId, class: "field-label", text: "Paste a link" }), linkInput, linkError),
          linkButton),
        zone));
  }

  function showInlineError(input, errorEl, message) {
    errorEl.textContent = message ? "Problem: " + message : "";
    errorEl.hidden = !message;
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  // -- rendering: the whole form -----------------------------------------------

  function renderInservice(list, i, def, inserviceField) {
    var s = list[i];
    var path = ["inservices", i];
    var p = pathStr(path);
    var headId = nextId("is");
    var name = cardTitle("inservice", s);
    var hours = state.hours && isObject(s) && state.hours[s.id];
    var duplicate = h("button", {
      type: "button", class: "button button-small", text: "Duplicate", "aria-label": "Duplicate in-service " + (i + 1),
      "data-focus-key": "duplicate:" + p,
      onclick: function () {
        var copy = clone(s);
        var ids = list.map(function (x) { return isObject(x) ? x.id : null; });
        var base = (typeof s.id === "string" && s.id ? s.id : "in-service") + "-copy";
        var id = base;
        for (var n = 2; ids.indexOf(id) >= 0; n++) id = base + "-" + n;
        if (isObject(copy)) {
          copy.id = id;
          if (typeof copy.title === "string") copy.title = copy.title + " (copy)";
        }
        list.splice(i + 1, 0, copy);
        rerender(pathStr(["inservices", i + 1, "id"]));
        announce("Copied " + name + ". The copy follows it; give it its own ID.");
        changed();
      },
    });
    var card = h("li", { class: "card inservice-card", "data-card": "inservice", "data-path": p, "aria-labelledby": headId },
      h("div", { class: "card-head" },
        dragHandle(["inservices"], i),
        h("div", { class: "card-heading-block" },
          h("h3", { class: "card-title", id: headId },
            h("span", { class: "card-number", text: (i + 1) + ". " }),
            h("span", { "data-card-title": "1", text: name })),
          h("p", { class: "hours", "data-hours-for": p, text: hoursText(hours) })),
        cardTools(list, i, ["inservices"], "in-service " + (i + 1), function () {
          if (list.length <= 1) {
            announce("A packet needs at least one in-service.");
            setStatus("A packet needs at least one in-service: add another before removing this one.", "problem");
            return;
          }
          list.splice(i, 1);
          rerender("remove-card:" + pathStr(["inservices", Math.min(i, list.length - 1)]));
          announce("Removed " + name + ". Not saved yet.");
          changed();
        }, duplicate)),
      h("div", { class: "card-body" },
        isObject(s) ? renderFields(def, s, path, { skip: ["items"] }) : h("p", { class: "kept-note", text: "This in-service is not a set of fields; it is kept as it is." }),
        isObject(s) && def.properties.items ? renderField(describe(def, "items"), s, "items", path.concat(["items"])) : null));
    makeDropTarget(card, list, ["inservices"], i, "inservice");
    return card;
  }

  function hoursText(hours) {
    if (hours) return "Credit: " + hours;
    return "Credit hours show after saving";
  }

  function renderForm() {
    var root = schema;
    var list = Array.isArray(data.inservices) ? data.inservices : null;
    var inserviceField = root.properties.inservices ? describe(root, "inservices") : null;
    var inserviceDef = inserviceField ? inserviceField.info.item.schema : null;
    var settings = h("section", { class: "section", "aria-labelledby": "settings-heading", "data-path": "" },
      h("h2", { id: "settings-heading", text: "Packet settings" }),
      h("div", { class: "card settings-card" }, renderFields(root, data, [], { skip: ["inservices"] })));
    var inservices = null;
    if (inserviceField) {
      var ol = h("ol", { class: "card-list inservice-list" });
      (list || []).forEach(function (s, i) { ol.append(renderInservice(list, i, inserviceDef, inserviceField)); });
      inservices = h("section", { class: "section", "aria-labelledby": "inservices-heading", "data-path": "inservices" },
        h("h2", { id: "inservices-heading" }, inserviceField.label === "Inservices" ? "In-services" : inserviceField.label),
        helpFor(inserviceField),
        ol,
        h("button", {
          type: "button", class: "button", text: "Add an in-service", "data-focus-key": "inservice-add",
          onclick: function () {
            if (!Array.isArray(data.inservices)) data.inservices = [];
            var ids = data.inservices.map(function (x) { return isObject(x) ? x.id : null; });
            var id = "in-service-" + (data.inservices.length + 1);
            for (var n = data.inservices.length + 2; ids.indexOf(id) >= 0; n++) id = "in-service-" + n;
            data.inservices.push({ id: id, title: "" });
            rerender(pathStr(["inservices", data.inservices.length - 1, "title"]));
            announce("Added in-service " + data.inservices.length + ". Type its title.");
            changed();
          },
        }));
    }
    form.replaceChildren(settings, inservices || "");
  }

  // -- problems ----------------------------------------------------------------

  function clearProblems() {
    form.querySelectorAll("[aria-invalid]").forEach(function (el) {
      if (el.closest(".add-tools")) return; // the link and file errors are their own
      el.removeAttribute("aria-invalid");
      var described = el.dataset.describedby || "";
      if (described) el.setAttribute("aria-describedby", described);
      else el.removeAttribute("aria-describedby");
    });
    form.querySelectorAll(".field-error").forEach(function (el) {
      if (el.closest(".add-tools")) return;
      el.textContent = "";
      el.hidden = true;
    });
    form.querySelectorAll(".has-problem").forEach(function (el) { el.classList.remove("has-problem"); });
    form.querySelectorAll(".card-problems").forEach(function (el) { el.remove(); });
  }

  function placeProblem(problem) {
    var field = problem.field || "";
    if (field) {
      var input = form.querySelector('[data-field="' + CSS.escape(field) + '"]');
      if (input) {
        var errorEl = document.getElementById(input.id + "-error");
        if (errorEl) {
          errorEl.hidden = false;
          errorEl.append(h("span", { class: "problem-line" }, h("strong", { text: "Problem: " }), cleanMessage(problem.message)));
          var ids = (input.dataset.describedby || "").split(" ").filter(Boolean);
          ids.push(errorEl.id);
          input.setAttribute("aria-describedby", ids.join(" "));
        }
        input.setAttribute("aria-invalid", "true");
        var wrap = input.closest(".field");
        if (wrap) wrap.classList.add("has-problem");
        return input;
      }
      // No input for it: the nearest card or group that holds it.
      var parts = parsePath(field);
      for (var cut = parts.length; cut >= 0; cut--) {
        var container = form.querySelector('[data-path="' + CSS.escape(pathStr(parts.slice(0, cut))) + '"]');
        if (container && (cut > 0 || container.closest("section"))) {
          var box = container.querySelector(":scope > .card-problems");
          if (!box) {
            box = h("div", { class: "card-problems", tabindex: "-1", id: nextId("cp") });
            var body = container.querySelector(":scope > .card-body") || container;
            body.prepend(box);
          }
          box.append(h("p", {}, h("strong", { text: "Problem: " }),
            (field.slice(pathStr(parts.slice(0, cut)).length).replace(/^\./, "") || "here") + ": " + cleanMessage(problem.message)));
          container.classList.add("has-problem");
          return box;
        }
      }
    }
    return null;
  }

  function cleanMessage(message) {
    return String(message || "").replace(/`([^`]*)`/g, "$1");
  }

  /* "In-service 2 › Item 3" and the field's label, for the error summary. */
  function whereIs(el) {
    var bits = [];
    for (var node = el.closest("[data-card]"); node; node = node.parentElement && node.parentElement.closest("[data-card]")) {
      var parts = parsePath(node.dataset.path);
      var index = parts[parts.length - 1];
      var kind = node.dataset.card;
      var name = kind === "inservice" ? "In-service" : kind === "item" ? "Item" : kind;
      bits.unshift(typeof index === "number" ? name + " " + (index + 1) : name);
    }
    var label = null;
    if (el.id) {
      var labelEl = form.querySelector('label[for="' + CSS.escape(el.id) + '"]');
      if (labelEl) label = labelEl.textContent.replace(" (required)", "").trim();
    }
    return { where: bits.join(" › "), label: label };
  }

  function applyProblems(list) {
    problems = list || [];
    clearProblems();
    summaryList.replaceChildren();
    problems.forEach(function (problem) {
      var target = placeProblem(problem);
      var text = cleanMessage(problem.message);
      var li;
      if (target) {
        var place = whereIs(target);
        if (!target.id) target.id = nextId("p");
        li = h("li", {}, h("a", {
          href: "#" + target.id,
          onclick: function (event) {
            event.preventDefault();
            openAncestors(target);
            target.focus();
            target.scrollIntoView({ block: "center" });
          },
        },
        place.where ? h("span", { class: "where", text: place.where + " › " }) : null,
        place.label ? h("strong", { text: place.label }) : null,
        (place.label ? ": " : "") + text));
      } else {
        li = h("li", {}, (problem.field ? problem.field + ": " : "") + text);
      }
      summaryList.append(li);
    });
    document.getElementById("error-summary-title").textContent = problems.length === 1
      ? "1 problem to fix before the packet can be saved"
      : plural(problems.length, "problem") + " to fix before the packet can be saved";
    summaryEl.hidden = problems.length === 0;
  }

  function showWarnings(list) {
    var box = document.getElementById("warnings");
    var ul = document.getElementById("warnings-list");
    ul.replaceChildren();
    (list || []).forEach(function (w) { ul.append(h("li", { text: cleanMessage(w) })); });
    box.hidden = !list || list.length === 0;
  }

  // -- save, undo, preview -----------------------------------------------------

  function formatTime(iso) {
    var when = iso ? new Date(iso) : new Date();
    if (isNaN(when.getTime())) when = new Date();
    return when.toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit" })
      .replace(" AM", " am").replace(" PM", " pm");
  }

  function save() {
    if (saving || !data) return;
    window.clearTimeout(validateTimer);
    validateSeq += 1; // a validation still on its way is out of date now
    saving = true;
    saveButton.disabled = true;
    setStatus("Saving…", "busy");
    var sent = JSON.stringify(data);
    request("POST", "/api/edit/save", { data: data }).then(function (res) {
      saving = false;
      saveButton.disabled = false;
      if (res.status === 200 && res.body && res.body.ok) {
        savedJSON = sent;
        state.data = JSON.parse(sent);
        state.yaml = res.body.yaml;
        state.hours = res.body.hours || state.hours;
        state.can_undo = res.body.can_undo !== false;
        undoButton.disabled = !state.can_undo;
        applyProblems([]);
        updateHours();
        updatePreviewChoices();
        setStatus("Saved at " + formatTime(res.body.saved_at) +
          (JSON.stringify(data) !== sent ? " (newer changes not saved yet)" : ""), "saved");
      } else if (res.status === 422 && res.body) {
        applyProblems(res.body.problems || []);
        var n = (res.body.problems || []).length;
        setStatus(plural(n, "problem") + " — not saved: fix the fields marked below", "problem");
        summaryEl.focus();
      } else {
        setStatus("Not saved: " + errorText(res, "packetgen could not save the packet (" + res.status + ")."), "problem");
      }
    });
  }

  function undo() {
    if (isDirty() && !window.confirm("Undo the last save? Your changes since then that are not saved will be lost too.")) return;
    undoButton.disabled = true;
    setStatus("Undoing the last save…", "busy");
    request("POST", "/api/edit/undo", {}).then(function (res) {
      if (res.ok && res.body && res.body.data) {
        load(res.body);
        setStatus("The last save was undone: the packet is back to its version before it.", "saved");
      } else {
        undoButton.disabled = !(state && state.can_undo);
        setStatus("Could not undo: " + errorText(res, "packetgen refused (" + res.status + ")."), "problem");
      }
    });
  }

  function updateHours() {
    form.querySelectorAll("[data-hours-for]").forEach(function (el) {
      var s = getAt(parsePath(el.dataset.hoursFor));
      el.textContent = hoursText(isObject(s) && state.hours ? state.hours[s.id] : null);
    });
  }

  function savedInservices() {
    var list = state && state.data && Array.isArray(state.data.inservices) ? state.data.inservices : [];
    return list.filter(function (s) { return isObject(s) && typeof s.id === "string" && s.id; });
  }

  function updatePreviewChoices() {
    var before = previewSelect.value;
    previewSelect.replaceChildren();
    savedInservices().forEach(function (s) {
      previewSelect.append(h("option", { value: s.id, text: s.title || s.id }));
    });
    var ids = savedInservices().map(function (s) { return s.id; });
    var chosen = ids.indexOf(before) >= 0 ? before : ids[0];
    if (chosen) previewSelect.value = chosen;
    pdfButton.disabled = !chosen;
    showPreview(chosen, chosen !== before);
  }

  function showPreview(id, navigate) {
    if (!id) {
      previewFrame.src = "about:blank";
      return;
    }
    var url = "/" + encodeURIComponent(id) + ".html";
    if (navigate || previewFrame.getAttribute("src") !== url) previewFrame.setAttribute("src", url);
  }

  // -- start -------------------------------------------------------------------

  function load(body) {
    state = body;
    schema = body.schema;
    data = clone(body.data) || {};
    if (!isObject(data)) data = {};
    savedJSON = JSON.stringify(data);
    promoted = new WeakMap();
    kindStash = new WeakMap();
    filePages = new WeakMap();
    document.getElementById("spec-name").textContent = (body.folder ? body.folder + "/" : "") + (body.spec || "packet.yaml");
    document.getElementById("packet-title").textContent = data.title || "Untitled packet";
    document.title = "Edit: " + (data.title || "packet") + " — packetgen";
    undoButton.disabled = !body.can_undo;
    renderForm();
    applyProblems(body.problems || []);
    showWarnings(body.warnings || []);
    updatePreviewChoices();
  }

  function start() {
    form = document.getElementById("packet-form");
    statusEl = document.getElementById("status");
    announcer = document.getElementById("announcer");
    summaryEl = document.getElementById("error-summary");
    summaryList = document.getElementById("error-summary-list");
    saveButton = document.getElementById("save-button");
    undoButton = document.getElementById("undo-button");
    previewSelect = document.getElementById("preview-select");
    previewFrame = document.getElementById("preview-frame");
    pdfButton = document.getElementById("pdf-button");

    form.addEventListener("submit", function (event) { event.preventDefault(); });
    saveButton.addEventListener("click", save);
    undoButton.addEventListener("click", undo);
    previewSelect.addEventListener("change", function () { showPreview(previewSelect.value, true); });
    pdfButton.addEventListener("click", function () {
      if (!previewSelect.value) return;
      window.open("/api/edit/pdf?inservice=" + encodeURIComponent(previewSelect.value), "_blank", "noopener");
    });
    document.addEventListener("keydown", function (event) {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key === "s" || event.key === "S")) {
        event.preventDefault();
        save();
      }
    });
    window.addEventListener("beforeunload", function (event) {
      if (data && isDirty()) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    // Files dropped outside a drop zone must not replace the editor with the file.
    window.addEventListener("dragover", function (event) {
      if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) event.preventDefault();
    });
    window.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files.length) event.preventDefault();
    });

    request("GET", "/api/edit/state").then(function (res) {
      if (res.ok && res.body) {
        load(res.body);
        setStatus(problems.length ? plural(problems.length, "problem") + " in the file as it is now" : "Ready. Changes are saved when you press Save.", problems.length ? "problem" : "");
        document.body.dataset.ready = "true";
      } else {
        setStatus("The packet could not be loaded: " + errorText(res, "packetgen answered " + res.status + "."), "problem");
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
