/* fusionlab fusion explorer: recomputes weighted fusion in the page, exactly as fusionlab does.

   Hand-written, no dependencies, standard APIs only (DecompressionStream, typed arrays,
   canvas); works from file:// in Chromium and Firefox. The data (a JSON script element
   with id "fx-data") hold, per evaluation and per mode x domain (x consensus), the
   float64 operands of the weighted sum that fusionlab computes, for the (video, class)
   pairs whose ranking against the true class can depend on the weights; everything the
   Python side obtains through exp or log is precomputed there. The page only does
   what is bit-exact in IEEE-754 double precision: integer weights divided once by
   their integer sum, products and sums accumulated left to right, comparisons with
   ties to the lowest class index, and numpy's pairwise summation for the mean class
   accuracy. See the docstring of fusionlab.explorer for the argument. */
(function () {
  "use strict";

  const FIXED_WRONG = 250;
  const FIXED_TOPK = 251;
  const FIXED_RIGHT = 252;
  const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

  // ------------------------------------------------------------------ numpy and Python arithmetic

  /* numpy's pairwise summation of a float64 vector a[lo .. lo + n) (np.sum, np.mean). */
  function pairwiseSum(a, lo, n) {
    let i;
    let res;
    if (n < 8) {
      res = 0;
      for (i = 0; i < n; i++) { res = res + a[lo + i]; }
      return res;
    }
    if (n <= 128) {
      const r = [a[lo], a[lo + 1], a[lo + 2], a[lo + 3], a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]];
      for (i = 8; i < n - (n % 8); i += 8) {
        for (let j = 0; j < 8; j++) { r[j] = r[j] + a[lo + i + j]; }
      }
      res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
      for (; i < n; i++) { res = res + a[lo + i]; }
      return res;
    }
    let n2 = Math.floor(n / 2);
    n2 -= n2 % 8;
    return pairwiseSum(a, lo, n2) + pairwiseSum(a, lo + n2, n - n2);
  }

  /* Python's format(x, ".{d}f"): the exact binary value rounded half to even. */
  function fixed(x, d) {
    if (Number.isNaN(x)) { return "nan"; }
    if (!Number.isFinite(x)) { return x > 0 ? "inf" : "-inf"; }
    const neg = x < 0 || (x === 0 && 1 / x < 0);
    const ax = Math.abs(x);
    let s = ax.toFixed(d);
    if (ax >= 1e-14 && ax < 1e21) {
      const exact = ax.toFixed(100); // exact decimal expansion of the double
      const dot = exact.indexOf(".");
      const rest = exact.slice(dot + 1 + d);
      if (rest[0] === "5" && /^50*$/.test(rest)) { // a tie: half to even
        const kept = exact.slice(0, dot + 1 + d).replace(/\.$/, "");
        const last = kept.replace(".", "").slice(-1);
        if ((last.charCodeAt(0) - 48) % 2 === 0) { s = kept; }
      }
    }
    return (neg ? "-" : "") + s;
  }

  /* fusionlab.report.format.format_cell(v, "pct") and (v, "signed_pct"). */
  function pct(v) { return v === null || Number.isNaN(v) ? "" : fixed(100 * v, 2); }
  function signedPct(v) {
    if (v === null || Number.isNaN(v)) { return ""; }
    const x = 100 * v;
    const m = fixed(Math.abs(x), 2);
    if (m === "0.00") { return "0.00"; }
    return (x < 0 ? "-" : "+") + m;
  }

  // ------------------------------------------------------------------ decoding

  function base64Bytes(text) {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out;
  }

  function inflate(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer();
  }

  function typed(buf, section, Type) {
    const off = section[0];
    const count = section[1];
    const size = Type.BYTES_PER_ELEMENT;
    if (LITTLE || size === 1) { return new Type(buf.slice(off, off + count * size)); }
    const dv = new DataView(buf, off, count * size);
    const out = new Type(count);
    for (let i = 0; i < count; i++) { out[i] = size === 4 ? dv.getInt32(4 * i, true) : dv.getUint8(i); }
    return out;
  }

  function unshuffle(buf, section) {
    const off = section[0];
    const count = section[1];
    const planes = new Uint8Array(buf, off, 8 * count);
    const out = new Uint8Array(8 * count);
    for (let b = 0; b < 8; b++) {
      const dst = LITTLE ? b : 7 - b;
      const base = b * count;
      for (let i = 0; i < count; i++) { out[8 * i + dst] = planes[base + i]; }
    }
    return new Float64Array(out.buffer);
  }

  async function decodeFamily(fam) {
    const buf = await inflate(base64Bytes(fam.data));
    const s = fam.sections;
    return {
      values: unshuffle(buf, s.values),
      rowStart: typed(buf, s.rowStart, Int32Array),
      rowClass: typed(buf, s.rowClass, Int32Array),
      status: typed(buf, s.status, Uint8Array),
      mask: s.mask ? typed(buf, s.mask, Uint8Array) : null,
    };
  }

  // ------------------------------------------------------------------ the computation

  /* Top-1 and top-k counts and per-class top-1 hits of one family at integer weights.
     Operation for operation what fusionlab.explorer._data.emulate (and, for the decisions,
     fusionlab.rules.weighted) computes. */
  function evaluateFamily(meta, fam, ints) {
    const K = fam.k;
    const N = meta.n;
    const k5 = meta.k5;
    const y = meta.yArr;
    const d = fam.decoded;
    const v = d.values;
    const rs = d.rowStart;
    const rc = d.rowClass;
    const st = d.status;
    const mask = d.mask;
    let total = 0;
    for (let k = 0; k < K; k++) { total += ints[k]; }
    const w = new Float64Array(K);
    for (let k = 0; k < K; k++) { w[k] = ints[k] / total; } // = float(Fraction(i_k, total))
    const wv = new Float64Array(K);
    const hits = new Int32Array(meta.c);
    let n1 = 0;
    let n5 = 0;
    for (let n = 0; n < N; n++) {
      const code = st[n];
      const yc = y[n];
      if (code >= FIXED_WRONG) {
        if (code === FIXED_RIGHT) { n1++; n5++; hits[yc]++; } else if (code === FIXED_TOPK) { n5++; }
        continue;
      }
      let wr = w;
      if (mask !== null) { // rules._row_normalize: renormalise over the valid components
        const mo = n * K;
        for (let k = 0; k < K; k++) { wv[k] = mask[mo + k] ? w[k] : 0; }
        let tot = pairwiseSum(wv, 0, K);
        if (tot <= 0) {
          for (let k = 0; k < K; k++) { wv[k] = mask[mo + k] ? 1 : 0; }
          tot = pairwiseSum(wv, 0, K);
        }
        for (let k = 0; k < K; k++) { wv[k] = wv[k] / tot; }
        wr = wv;
      }
      let r = rs[n];
      const end = rs[n + 1];
      let base = r * K;
      let fy = wr[0] * v[base];
      for (let k = 1; k < K; k++) { fy = fy + wr[k] * v[base + k]; }
      let above = code;
      for (r = r + 1; r < end && above < k5; r++) {
        base = r * K;
        let f = wr[0] * v[base];
        for (let k = 1; k < K; k++) { f = f + wr[k] * v[base + k]; }
        if (f > fy || (f === fy && rc[r] < yc)) { above++; }
      }
      if (above === 0) { n1++; hits[yc]++; }
      if (above < k5) { n5++; }
    }
    return { n1: n1, n5: n5, hits: hits };
  }

  /* The read-outs from counts: top1, top5, mean class accuracy (np.mean over present
     classes of hits / videos), per-class accuracy (NaN without videos). */
  function summarize(meta, res) {
    const per = new Float64Array(meta.c);
    const present = [];
    for (let c = 0; c < meta.c; c++) {
      const t = meta.totals[c];
      per[c] = t > 0 ? res.hits[c] / t : NaN;
      if (t > 0) { present.push(per[c]); }
    }
    const top1 = res.n1 / meta.n;
    return {
      n1: res.n1,
      n5: res.n5,
      hits: res.hits,
      top1: top1,
      top5: res.n5 / meta.n,
      mca: pairwiseSum(present, 0, present.length) / present.length,
      perClass: per,
      delta: meta.best ? top1 - meta.best.top1 : NaN,
    };
  }

  // ------------------------------------------------------------------ DOM helpers

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const key of Object.keys(attrs)) {
        if (key === "text") { e.textContent = attrs[key]; } else { e.setAttribute(key, attrs[key]); }
      }
    }
    for (const c of children || []) { e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); }
    return e;
  }

  function label(name) { return name === "variance_weighted" ? "variance-weighted" : name.replace(/_/g, " "); }

  function copyText(text, button) {
    const done = function () {
      const old = button.textContent;
      button.textContent = "copied";
      setTimeout(function () { button.textContent = old; }, 1200);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  }

  function fallbackCopy(text) {
    const ta = el("textarea", { readonly: "", style: "position:fixed;left:-9999px" });
    ta.value = text;
    document.body.appendChild(ta);
    ta.select();
    try { document.execCommand("copy"); } catch (e) { /* the command stays visible to copy by hand */ }
    document.body.removeChild(ta);
  }

  // ------------------------------------------------------------------ one explorer

  function Explorer(root, meta) {
    this.root = root;
    this.meta = meta;
    meta.yArr = Int32Array.from(meta.y);
    meta.totals = new Int32Array(meta.c);
    for (let i = 0; i < meta.n; i++) { meta.totals[meta.yArr[i]]++; }
    this.families = {};
    for (const fam of meta.families) { this.families[this.key(fam.mode, fam.domain, fam.consensus)] = fam; }
    this.hasSegments = meta.families.some(function (f) { return f.mode === "segments"; });
    const nComp = meta.segments.reduce(function (a, b) { return a + b; }, 0);
    this.state = {
      domain: meta.domains[0],
      consensus: meta.consensus[0],
      seg: false,
      w: meta.streams.map(function () { return 1; }),
      u: new Array(nComp).fill(1),
    };
    this.curveKey = null;
  }

  Explorer.prototype.key = function (mode, domain, consensus) {
    return mode + "|" + domain + "|" + (mode === "segments" ? "" : consensus);
  };

  Explorer.prototype.family = function () {
    const s = this.state;
    return this.families[this.key(s.seg ? "segments" : "streams", s.domain, s.consensus)];
  };

  Explorer.prototype.init = async function () {
    this.build();
    for (const fam of this.meta.families) { fam.decoded = await decodeFamily(fam); }
    this.selfCheck();
    this.root.dataset.ready = "1";
    this.update();
  };

  Explorer.prototype.weightsOf = function (state) {
    if (!state.seg) { return state.w.slice(); }
    const out = [];
    let j = 0;
    for (let s = 0; s < this.meta.streams.length; s++) {
      for (let t = 0; t < this.meta.segments[s]; t++) { out.push(state.w[s] * state.u[j]); j++; }
    }
    return out;
  };

  Explorer.prototype.compute = function (state) {
    const fam = this.families[this.key(state.seg ? "segments" : "streams", state.domain, state.consensus)];
    const ints = this.weightsOf(state);
    if (!fam || !fam.decoded || !ints.some(function (x) { return x > 0; })) { return null; }
    return summarize(this.meta, evaluateFamily(this.meta, fam, ints));
  };

  Explorer.prototype.selfCheck = function () {
    const checks = this.meta.checks || [];
    let ok = 0;
    const bad = [];
    for (const c of checks) {
      const r = this.compute({ domain: c.domain, consensus: c.consensus, seg: false, w: c.weights, u: [] });
      if (r && r.top1 === c.top1 && r.top5 === c.top5 && r.mca === c.mean_class_acc) { ok++; } else { bad.push(c.label + " " + c.domain); }
    }
    if (!checks.length) { this.checkLine.textContent = ""; return; }
    if (bad.length) {
      this.checkLine.className = "fx-check fx-bad";
      this.checkLine.textContent = "Self-check FAILED: the page disagrees with the report's table for " + bad.join(", ") + ".";
      console.error("fusionlab explorer: self-check failed for " + bad.join(", "));
    } else {
      this.checkLine.textContent = "Self-check: the page reproduces the report's " + ok +
        " fixed-weight rows exactly (top-1, top-5 and mean class accuracy, bit for bit).";
    }
  };

  Explorer.prototype.build = function () {
    const meta = this.meta;
    const self = this;
    const max = meta.sliderMax;
    const root = this.root;
    root.textContent = "";
    const controls = el("div", { class: "fx-controls" });
    // domain
    const dom = el("fieldset", { class: "fx-domain" }, [el("legend", { text: "domain" })]);
    for (const d of meta.domains) {
      const input = el("input", { type: "radio", name: "fx-domain-" + meta.index, value: d });
      if (d === this.state.domain) { input.checked = true; }
      input.addEventListener("change", function () { self.state.domain = d; self.update(); });
      dom.appendChild(el("label", null, [input, " " + (d === "prob" ? "probabilities (sum rule)" : "log-probabilities (product rule)")]));
    }
    controls.appendChild(dom);
    // consensus
    const sel = el("select", { class: "fx-consensus" });
    for (const c of meta.consensus) { sel.appendChild(el("option", { value: c, text: label(c) })); }
    sel.addEventListener("change", function () { self.state.consensus = sel.value; self.update(); });
    this.consensusSelect = sel;
    controls.appendChild(el("label", { class: "fx-row" }, ["segment consensus ", sel]));
    // stream sliders
    const streams = el("div", { class: "fx-sliders" });
    this.streamInputs = [];
    this.streamOut = [];
    meta.streams.forEach(function (name, i) {
      const input = el("input", { type: "range", min: "0", max: String(max), step: "1", value: "1", "data-fx-stream": String(i), "aria-label": "weight of " + name });
      const out = el("output", { class: "fx-num", text: "1" });
      input.addEventListener("input", function () { self.state.w[i] = Number(input.value); out.textContent = input.value; self.update(); });
      self.streamInputs.push(input);
      self.streamOut.push(out);
      streams.appendChild(el("label", { class: "fx-slider" }, [el("span", { class: "fx-name", text: name }), input, out]));
    });
    controls.appendChild(streams);
    // per-segment weights
    const segBox = el("input", { type: "checkbox", class: "fx-segmode" });
    const segLabel = el("label", { class: "fx-row" }, [segBox, " per-segment weights (flat fusion over every stream × segment)"]);
    const segPanel = el("div", { class: "fx-sliders fx-segments", hidden: "" });
    this.segInputs = [];
    this.segOut = [];
    if (!this.hasSegments) {
      segBox.disabled = true;
      segLabel.appendChild(el("span", { class: "fx-muted", text: " — not embedded in this page" }));
    }
    let j = 0;
    meta.streams.forEach(function (name, s) {
      for (let t = 0; t < meta.segments[s]; t++) {
        const idx = j;
        const input = el("input", { type: "range", min: "0", max: String(max), step: "1", value: "1", "data-fx-seg": String(idx), "aria-label": "weight of " + name + " segment " + (t + 1) });
        const out = el("output", { class: "fx-num", text: "1" });
        input.addEventListener("input", function () { self.state.u[idx] = Number(input.value); out.textContent = input.value; self.update(); });
        self.segInputs.push(input);
        self.segOut.push(out);
        segPanel.appendChild(el("label", { class: "fx-slider" }, [el("span", { class: "fx-name", text: name + " seg " + (t + 1) }), input, out]));
        j++;
      }
    });
    segBox.addEventListener("change", function () {
      self.state.seg = segBox.checked;
      segPanel.hidden = !segBox.checked;
      self.consensusSelect.disabled = segBox.checked;
      self.update();
    });
    this.segBox = segBox;
    this.segPanel = segPanel;
    controls.appendChild(segLabel);
    controls.appendChild(segPanel);
    // presets and grid optima
    const presets = el("div", { class: "fx-presets" }, [el("span", { class: "fx-muted", text: "set: " })]);
    const addPreset = function (text, fn) {
      const b = el("button", { type: "button", text: text });
      b.addEventListener("click", fn);
      presets.appendChild(b);
    };
    addPreset("equal", function () { self.setState({ seg: false, w: meta.streams.map(function () { return 1; }) }); });
    for (const p of meta.presets) { addPreset(p.label, function () { self.setState({ seg: false, w: p.weights.slice() }); }); }
    controls.appendChild(presets);
    const grids = el("div", { class: "fx-grids" });
    this.gridLines = [];
    for (const g of meta.grids) {
      const names = g.mode === "streams" ? meta.streams : g.names;
      const what = g.mode === "streams" ? "stream weights" : "stream × segment weights";
      const honest = g.honest_top1 === null ? "no honest estimate" :
        "honest " + pct(g.honest_top1) + " %" + (g.honest_top1_std !== null ? " (± " + pct(g.honest_top1_std) + ", " + g.selection + ")" : "");
      const text = "Grid search over " + what + " (" + g.domain + (g.consensus ? ", " + label(g.consensus) + " consensus" : "") +
        ", step 1/" + g.m + "): optimum " + names.map(function (n, i) { return n + " " + g.counts[i]; }).join(" : ") + " (/" + g.m + "); oracle " + pct(g.oracle_top1) + " %, " + honest + ".";
      const line = el("div", { class: "fx-grid" }, [el("span", { text: text })]);
      if (Math.max.apply(null, g.counts) <= max && (g.mode === "streams" || this.hasSegments)) {
        const b = el("button", { type: "button", text: "go to optimum" });
        b.addEventListener("click", function () {
          if (g.mode === "streams") {
            self.setState({ seg: false, domain: g.domain, consensus: g.consensus || self.state.consensus, w: g.counts.slice() });
          } else {
            self.setState({ seg: true, domain: g.domain, w: meta.streams.map(function () { return 1; }), u: g.counts.slice() });
          }
        });
        line.appendChild(b);
      }
      grids.appendChild(line);
      this.gridLines.push({ grid: g, line: line });
    }
    controls.appendChild(grids);

    // read-outs
    const out = el("div", { class: "fx-out" });
    const metric = function (cls, name) {
      const value = el("span", { class: "fx-value " + cls });
      out.appendChild(el("div", { class: "fx-metric" }, [el("span", { class: "fx-label", text: name }), value]));
      return value;
    };
    this.top1 = metric("fx-top1", "top-1 %");
    this.top5 = metric("fx-top5", "top-" + meta.k5 + " %");
    this.mca = metric("fx-mca", "mean class %");
    this.delta = metric("fx-delta", "vs best single");
    this.bestLine = el("div", { class: "fx-muted fx-best", text: meta.best ? "best single stream: " + meta.best.label + ", top-1 " + pct(meta.best.top1) + " %" : "" });
    out.appendChild(this.bestLine);
    this.weightsLine = el("div", { class: "fx-weights" });
    out.appendChild(this.weightsLine);
    this.badge = el("div", { class: "fx-badge", hidden: "" });
    out.appendChild(this.badge);
    this.curve = el("canvas", { class: "fx-curve", width: "320", height: "130", hidden: "" });
    out.appendChild(this.curve);

    const bars = el("canvas", { class: "fx-bars", width: "960", height: "170" });
    this.bars = bars;
    this.barInfo = el("div", { class: "fx-muted fx-barinfo", text: "Per-class top-1 accuracy: bars = this fusion, ticks = best single stream. Point at a bar for its class." });
    bars.addEventListener("mousemove", function (ev) { self.hover(ev); });

    this.cmdEval = el("code", { class: "fx-cmd-evaluate" });
    this.cmdExplorer = el("code", { class: "fx-cmd" });
    const copyEval = el("button", { type: "button", text: "copy" });
    const copyExp = el("button", { type: "button", text: "copy" });
    copyEval.addEventListener("click", function () { copyText(self.cmdEval.textContent, copyEval); });
    copyExp.addEventListener("click", function () { copyText(self.cmdExplorer.textContent, copyExp); });
    this.copyEval = copyEval;
    this.evalNote = el("span", { class: "fx-muted" });
    const cmds = el("div", { class: "fx-cmds" }, [
      el("div", null, [el("span", { class: "fx-muted", text: "These numbers: " }), this.cmdExplorer, copyExp]),
      el("div", null, [el("span", { class: "fx-muted", text: "As a row of the evaluate table: " }), this.cmdEval, copyEval, this.evalNote]),
    ]);
    this.checkLine = el("div", { class: "fx-check" });
    this.error = el("div", { class: "fx-bad", hidden: "" });

    root.appendChild(el("div", { class: "fx-top" }, [controls, out]));
    root.appendChild(this.error);
    root.appendChild(bars);
    root.appendChild(this.barInfo);
    root.appendChild(cmds);
    root.appendChild(this.checkLine);
  };

  Explorer.prototype.setState = function (patch) {
    Object.assign(this.state, patch);
    const s = this.state;
    s.w.forEach((v, i) => { this.streamInputs[i].value = String(v); this.streamOut[i].textContent = String(v); });
    s.u.forEach((v, i) => { if (this.segInputs[i]) { this.segInputs[i].value = String(v); this.segOut[i].textContent = String(v); } });
    this.segBox.checked = s.seg;
    this.segPanel.hidden = !s.seg;
    this.consensusSelect.value = s.consensus;
    this.consensusSelect.disabled = s.seg;
    for (const input of this.root.querySelectorAll("input[type=radio]")) { input.checked = input.value === s.domain; }
    this.update();
  };

  Explorer.prototype.update = function () {
    if (this.root.dataset.ready !== "1") { return; }
    const s = this.state;
    const r = this.compute(s);
    if (r === null) {
      this.error.hidden = false;
      this.error.textContent = this.family() ?
        "All weights are 0: give some stream (and segment) a positive weight." :
        "This setting is not embedded in this page.";
      return;
    }
    this.error.hidden = true;
    this.result = r;
    const meta = this.meta;
    const set = function (node, text, attrs) {
      node.textContent = text;
      for (const k of Object.keys(attrs)) { node.dataset[k] = attrs[k]; }
    };
    set(this.top1, pct(r.top1), { count: String(r.n1), n: String(meta.n), value: String(r.top1) });
    set(this.top5, pct(r.top5), { count: String(r.n5), n: String(meta.n), value: String(r.top5) });
    set(this.mca, pct(r.mca), { value: String(r.mca) });
    set(this.delta, meta.best ? signedPct(r.delta) : "", { value: meta.best ? String(r.delta) : "" });
    this.delta.classList.toggle("fx-up", r.delta > 0);
    this.delta.classList.toggle("fx-down", r.delta < 0);
    const ints = this.weightsOf(s);
    const total = ints.reduce(function (a, b) { return a + b; }, 0);
    const names = [];
    if (s.seg) {
      meta.streams.forEach(function (n, i) { for (let t = 0; t < meta.segments[i]; t++) { names.push(n + "/seg" + (t + 1)); } });
    } else {
      for (const n of meta.streams) { names.push(n); }
    }
    this.weightsLine.textContent = "normalised weights: " + names.map(function (n, i) { return n + " " + fixed(ints[i] / total, 3); }).join(", ");
    this.bars.dataset.hits = Array.from(r.hits).join(",");
    this.drawBars();
    this.drawCurve();
    this.updateBadge(ints);
    this.updateCommands(ints);
  };

  Explorer.prototype.updateBadge = function (ints) {
    const s = this.state;
    let hit = null;
    for (const gl of this.gridLines) {
      const g = gl.grid;
      let same = g.domain === s.domain && (g.mode === "segments") === s.seg && (g.mode === "segments" || g.consensus === s.consensus);
      if (same) {
        const a = ints.reduce(function (x, y) { return x + y; }, 0);
        const b = g.counts.reduce(function (x, y) { return x + y; }, 0);
        same = ints.length === g.counts.length && ints.every(function (v, i) { return v * b === g.counts[i] * a; });
      }
      gl.line.classList.toggle("fx-here", same);
      if (same) { hit = g; }
    }
    this.badge.hidden = hit === null;
    if (hit) { this.badge.textContent = "★ grid-search optimum (oracle " + pct(hit.oracle_top1) + " %" + (hit.honest_top1 === null ? "" : ", honest " + pct(hit.honest_top1) + " %") + ")"; }
  };

  Explorer.prototype.updateCommands = function (ints) {
    const s = this.state;
    const meta = this.meta;
    // shell-quoted by fusionlab (shlex.quote), the paths as given to it
    const files = meta.filesArg || "FILES";
    // weights by name (never positional: the stream order could be misread)
    const w = meta.streams.map(function (n, i) { return n + "=" + s.w[i]; }).join(",");
    let cmd = "python -m fusionlab.explorer " + files + " --weights " + w + " --domain " + s.domain;
    if (s.seg) {
      const comps = [];
      meta.streams.forEach(function (n, i) { for (let t = 0; t < meta.segments[i]; t++) { comps.push(n + "/seg" + (t + 1)); } });
      cmd += " --segment-weights " + comps.map(function (c, i) { return c + "=" + s.u[i]; }).join(",");
    } else { cmd += " --consensus " + s.consensus; }
    this.cmdExplorer.textContent = cmd;
    const exact = !s.seg && s.consensus === "mean";
    this.cmdEval.textContent = "python -m fusionlab.evaluate " + files + " --weights " + w + " --domain " + s.domain;
    this.copyEval.disabled = !exact;
    this.cmdEval.classList.toggle("fx-muted", !exact);
    this.evalNote.textContent = exact ? " (the row two-level mean → weighted " + w + ")" :
      s.seg ? " (not available: evaluate has no per-segment weights)" :
        " (not this setting: evaluate weighs streams after mean consensus only)";
    void ints;
  };

  Explorer.prototype.drawBars = function () {
    const canvas = this.bars;
    const ctx = canvas.getContext("2d");
    if (!ctx) { return; }
    const meta = this.meta;
    const r = this.result;
    const W = canvas.width;
    const H = canvas.height;
    const pad = 28;
    const bw = (W - pad - 4) / meta.c;
    ctx.clearRect(0, 0, W, H);
    ctx.font = "10px sans-serif";
    ctx.fillStyle = "#5f6368";
    ctx.strokeStyle = "#d9dce1";
    for (let q = 0; q <= 4; q++) {
      const yy = H - 14 - (H - 24) * q / 4;
      ctx.beginPath(); ctx.moveTo(pad, yy); ctx.lineTo(W, yy); ctx.stroke();
      ctx.fillText(String(25 * q), 2, yy + 3);
    }
    for (let c = 0; c < meta.c; c++) {
      const a = r.perClass[c];
      if (Number.isNaN(a)) { continue; }
      const single = meta.best ? meta.best.hits[c] / meta.totals[c] : NaN;
      const x = pad + c * bw;
      const h = (H - 24) * a;
      ctx.fillStyle = Number.isNaN(single) || a >= single ? "#029e73" : "#de8f05";
      ctx.fillRect(x + 0.5, H - 14 - h, Math.max(1, bw - 1), h);
      if (!Number.isNaN(single)) {
        ctx.fillStyle = "#1d1d1f";
        ctx.fillRect(x, H - 14 - (H - 24) * single - 1, Math.max(1, bw), 2);
      }
    }
  };

  Explorer.prototype.hover = function (ev) {
    if (!this.result) { return; }
    const rect = this.bars.getBoundingClientRect();
    const x = (ev.clientX - rect.left) * this.bars.width / rect.width;
    const bw = (this.bars.width - 32) / this.meta.c;
    const c = Math.floor((x - 28) / bw);
    if (c < 0 || c >= this.meta.c) { return; }
    const meta = this.meta;
    const single = meta.best ? " (best single " + pct(meta.best.hits[c] / meta.totals[c]) + " %)" : "";
    this.barInfo.textContent = meta.classes[c] + ": " + pct(this.result.perClass[c]) + " %" + single + ", " + meta.totals[c] + " videos";
  };

  Explorer.prototype.drawCurve = function () {
    const s = this.state;
    const canvas = this.curve;
    if (s.seg || this.meta.streams.length !== 2) { canvas.hidden = true; return; }
    canvas.hidden = false;
    const M = this.meta.sliderMax;
    const key = s.domain + "|" + s.consensus;
    if (this.curveKey !== key) {
      this.curvePts = [];
      for (let t = 0; t <= M; t++) {
        const r = this.compute({ domain: s.domain, consensus: s.consensus, seg: false, w: [M - t, t], u: [] });
        this.curvePts.push(r.top1);
      }
      this.curveKey = key;
    }
    const ctx = canvas.getContext("2d");
    if (!ctx) { return; }
    const W = canvas.width;
    const H = canvas.height;
    const pts = this.curvePts;
    const lo = Math.min.apply(null, pts);
    const hi = Math.max.apply(null, pts);
    const span = Math.max(hi - lo, 1e-9);
    const X = function (a) { return 30 + (W - 40) * a; };
    const Y = function (v) { return H - 18 - (H - 30) * (v - lo) / span; };
    ctx.clearRect(0, 0, W, H);
    ctx.font = "10px sans-serif";
    ctx.fillStyle = "#5f6368";
    ctx.fillText(pct(hi), 0, Y(hi) + 3);
    ctx.fillText(pct(lo), 0, Y(lo) + 3);
    ctx.fillText("weight of " + this.meta.streams[1] + " →", X(0.55), H - 3);
    ctx.strokeStyle = "#0173b2";
    ctx.beginPath();
    pts.forEach(function (v, t) { if (t === 0) { ctx.moveTo(X(t / M), Y(v)); } else { ctx.lineTo(X(t / M), Y(v)); } });
    ctx.stroke();
    const tot = s.w[0] + s.w[1];
    if (tot > 0) {
      const a = s.w[1] / tot;
      ctx.strokeStyle = "#d55e00";
      ctx.beginPath(); ctx.moveTo(X(a), 6); ctx.lineTo(X(a), H - 16); ctx.stroke();
    }
    for (const gl of this.gridLines) {
      const g = gl.grid;
      if (g.mode !== "streams" || g.domain !== s.domain || g.consensus !== s.consensus) { continue; }
      const a = g.counts[1] / (g.counts[0] + g.counts[1]);
      ctx.fillStyle = "#cc78bc";
      ctx.fillText("★", X(a) - 4, 12);
    }
  };

  // ------------------------------------------------------------------ start

  function start() {
    const script = document.getElementById("fx-data");
    if (!script) { return; }
    const data = JSON.parse(script.textContent);
    const roots = document.querySelectorAll(".fx-root[data-fx-index]");
    const all = [];
    for (const root of roots) {
      const i = Number(root.getAttribute("data-fx-index"));
      const meta = data.evaluations[i];
      if (!meta) { continue; }
      meta.index = i;
      if (typeof DecompressionStream === "undefined") {
        root.textContent = "This browser lacks DecompressionStream (Chromium 80+, Firefox 113+, Safari 16.4+ have it): the explorer cannot run.";
        continue;
      }
      const ex = new Explorer(root, meta);
      all.push(ex.init().catch(function (e) { root.textContent = "The explorer failed to start: " + e; console.error(e); }));
      explorers.push(ex);
    }
    api.ready = Promise.all(all);
  }

  const explorers = [];
  const api = {
    pairwiseSum: function (a) { return pairwiseSum(a, 0, a.length); },
    fixed: fixed,
    pct: pct,
    signedPct: signedPct,
    explorers: explorers,
    ready: Promise.resolve(),
  };
  window.FusionlabExplorer = api;
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
