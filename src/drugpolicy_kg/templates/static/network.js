(function () {
  var D = JSON.parse(document.getElementById("dpk-data").textContent);
  var panel = document.getElementById("dpk-panel");
  function el(tag, text, cls) {
    var x = document.createElement(tag);
    if (text !== undefined && text !== null) x.textContent = String(text);
    if (cls) x.className = cls;
    return x;
  }
  function byLabel(text) {
    var t = text.trim().toLowerCase();
    if (!t) return [];
    return nodes.get({filter: function (n) {
      return String(n.label).toLowerCase() === t || String(n.title).toLowerCase().split("\n")[0] === t; }})
      .concat(nodes.get({filter: function (n) { return String(n.title).toLowerCase().indexOf(t) >= 0; }}));
  }
  function show(id) {
    network.selectNodes([id]);
    network.focus(id, {scale: Math.max(network.getScale(), D.legible / D.font * 1.2), animation: false});
    openPanel(id);
    later();
  }
  function startPanel() {
    panel.textContent = "";
    var close = el("button", "close");
    close.type = "button"; close.style.float = "right";
    close.addEventListener("click", function () { panel.hidden = true; network.unselectAll(); });
    panel.appendChild(close);
  }
  function quote(q) {  // [words, source, locator, how it is inferred ("" where stated)], or its place in D.quotes
    if (typeof q === "number") q = D.quotes[q];
    var bq = el("blockquote", "\u201c" + q[0] + "\u201d ");
    bq.appendChild(el("cite", "\u2014 " + q[1] + ", " + q[2]));
    if (q[3]) bq.appendChild(el("div", q[3], "inferred"));
    panel.appendChild(bq);
  }
  function openEdgePanel(eid) {  // a tie: its ends, its kinds, and every quote that states it
    var e = edges.get(eid);
    if (!e) return;
    var a = nodes.get(e.from), b = nodes.get(e.to), qs = e.quotes || [];
    startPanel();
    panel.appendChild(el("h2", (a ? a.label : e.from) + (e.arrows ? " \u2192 " : " \u2014 ") + (b ? b.label : e.to)));
    panel.appendChild(el("div", (e.kinds || []).join("; ") || String(e.title || "").split("\n")[0], "kind"));
    panel.appendChild(el("h3", qs.length ? "The words that state it (" + qs.length + ")" :
      (e.quotes ? "No quote states this tie" : String(e.title || ""))));
    qs.forEach(quote);
    panel.hidden = false;
    network.redraw();
  }
  function openPanel(id) {
    var n = nodes.get(id);
    if (!n) return;
    var rec = D.facts[id] || {name: String(n.title).split("\n")[0], kind: n.kind, facts: []};
    startPanel();
    panel.appendChild(el("h2", rec.name));
    panel.appendChild(el("div", rec.kind, "kind"));
    if (rec.page) {
      var a = el("a", "Open its page: every fact, link and trace");
      a.href = D.pages + rec.page;
      var p = el("p"); p.appendChild(a); panel.appendChild(p);
    }
    if (rec.href) {  // a group of a network too large to draw at once: its members' own page
      var g = el("a", "Draw this group: its " + rec.members + " nodes");
      g.href = rec.href;
      var gp = el("p"); gp.appendChild(g); panel.appendChild(gp);
    }
    var m = n.metrics || {};
    panel.appendChild(el("p", "degree " + m.degree + " · weighted degree " + m.weighted_degree +
      " · betweenness " + Number(m.betweenness || 0).toFixed(3) + " · community " + n.community, "kind"));
    if (rec.facts.length) panel.appendChild(el("h3", "What the graph says (" + rec.facts.length + ")"));
    rec.facts.forEach(function (f) {
      var row = el("div");
      var b = el("strong", f[0] + ": "); row.appendChild(b); row.appendChild(el("span", f[1]));
      panel.appendChild(row);
      f[2].forEach(quote);
    });
    var ties = network.getConnectedEdges(id);
    if (ties.length) panel.appendChild(el("h3", "Ties in this view (" + ties.length + ")"));
    ties.slice(0, 200).forEach(function (eid) {
      var e = edges.get(eid), other = nodes.get(e.from === id ? e.to : e.from);
      var t = el("div", "", "tie");
      t.appendChild(el("strong", (e.from === id ? "\u2192 " : "\u2190 ") + (other ? other.label : "") + ": "));
      t.appendChild(el("span", e.title || e.label || ""));
      panel.appendChild(t);
    });
    panel.hidden = false;
    network.redraw();
  }
  // Labels never overlap: a label is drawn where it does not cover the label of a more connected node (or of the
  // selected one), and hidden otherwise (its node's tooltip and panel still name it). Labels keep the size they have
  // at the first view whatever the zoom, so zooming in makes room and shows more of them.
  var INSIDE = {box: true, ellipse: true, circle: true, database: true, text: true};  // shapes that hold their label
  var baseScale = null, labelSize = {}, labelHidden = {}, edgeHidden = {}, queued = null;
  function ink(font, hidden) {  // a label's font, drawn or hidden (transparent: its box is still measured)
    font.color = hidden ? "rgba(0,0,0,0)" : "#343434";
    font.strokeColor = hidden ? "rgba(0,0,0,0)" : "#ffffff";
    return font;
  }
  function fontOf(id) { return ink({size: labelSize[id] || D.font}, labelHidden[id]); }
  function declutter() {
    queued = null;
    if (baseScale === null) return;
    var scale = network.getScale(), size = Math.abs(scale - baseScale) < 1e-9 ? D.font : D.font * baseScale / scale;
    var changes = {};
    nodes.forEach(function (n) {
      if (!INSIDE[n.shape] && Math.abs((labelSize[n.id] || D.font) - size) > 0.01) { labelSize[n.id] = size; changes[n.id] = true; }
    });
    restyle(changes);
    changes = {};
    network.redraw();  // (label boxes are measured as they are drawn)
    var selected = {};
    network.getSelectedNodes().forEach(function (id) { selected[id] = true; });
    var weight = function (id) { return Number((nodes.get(id).metrics || {}).weighted_degree) || 0; };
    var order = network.body.nodeIndices.filter(function (id) { return !network.body.nodes[id].options.hidden; });
    order.sort(function (a, b) {
      return (selected[b] ? 1 : 0) - (selected[a] ? 1 : 0) || weight(b) - weight(a) || (a < b ? -1 : a > b ? 1 : 0);
    });
    var taken = [], canvas = network.canvas.frame.canvas, W = canvas.clientWidth, H = canvas.clientHeight;
    function free(s) {  // a label's box on the screen, if it covers none taken yet (and then it is taken); a label
      if (!s || !s.width) return true;  // wholly off the screen takes no room (panning there tidies the labels again)
      var a = network.canvasToDOM({x: s.left, y: s.top}), b = network.canvasToDOM({x: s.left + s.width, y: s.top + s.height});
      if (b.x < 0 || b.y < 0 || a.x > W || a.y > H) return true;
      var box = [a.x, a.y, b.x, b.y];
      var ok = !taken.some(function (t) { return box[0] < t[2] && t[0] < box[2] && box[1] < t[3] && t[1] < box[3]; });
      if (ok) taken.push(box);
      return ok;
    }
    order.forEach(function (id) {  // (a box or an ellipse holds its label: hidden, the shape stays, empty)
      var show = free(network.body.nodes[id].labelModule.size);
      if (!!labelHidden[id] === show) { labelHidden[id] = !show; changes[id] = true; }
    });
    restyle(changes);
    network.body.edgeIndices.forEach(function (id) {  // then the ties' labels (drawn on small views), where room is left
      var edge = network.body.edges[id];
      if (!edge.options.label || edge.options.hidden) return;
      var show = free(edge.labelModule.size);
      if (!!edgeHidden[id] === show) {
        edgeHidden[id] = !show;
        edge.setOptions({font: ink({size: D.edgeFont, align: "middle", strokeWidth: 3}, !show)});
      }
    });
    network.redraw();
  }
  function restyle(changes) {  // the drawn nodes' fonts set directly: a change of the data would restart the physics
    Object.keys(changes).forEach(function (id) {  // and move the nodes after their labels were placed
      var node = network.body.nodes[id];
      if (node) node.setOptions({font: fontOf(id)});
    });
  }
  function later() { if (queued === null) queued = setTimeout(declutter, 120); }
  window.dpkDeclutter = declutter;
  function legible() {
    if (window.dpkReady) return;
    network.fit({animation: false});
    var need = D.legible / D.font;
    if (network.getScale() < need) {
      var pos = network.getPositions([D.centre])[D.centre] || {x: 0, y: 0};
      network.moveTo({position: pos, scale: need * 1.05, animation: false});
      document.getElementById("dpk-zoom").textContent =
        "Zoomed in so labels can be read, around the most connected node; \u201cFit all\u201d shows the whole network.";
    }
    baseScale = network.getScale();
    declutter();
    network.on("zoom", later);
    network.on("dragEnd", later);
    network.on("stabilized", later);
    network.on("select", later);
    window.dpkReady = true;
    fromHash();
  }
  function fromHash() {  // #node=<IRI, URL-encoded>: open the view on that node (entity pages link so)
    var m = /^#node=(.+)$/.exec(location.hash), id = null;
    if (!m) return;
    try { id = decodeURIComponent(m[1]); } catch (e) { return; }
    if (nodes.get(id)) show(id);
  }
  window.addEventListener("hashchange", fromHash);
  if (D.physics && nodes.length) { network.once("stabilizationIterationsDone", legible); setTimeout(legible, 6000); }
  else legible();
  network.on("click", function (p) {
    if (p.nodes.length) openPanel(p.nodes[0]);
    else if (p.edges.length) openEdgePanel(p.edges[0]);
  });
  document.getElementById("dpk-search").addEventListener("change", function (e) {
    var hits = byLabel(e.target.value);
    if (hits.length) show(hits[0].id);
  });
  document.querySelectorAll("input.dpk-type").forEach(function (box) {
    box.addEventListener("change", function () {
      var shown = {};
      document.querySelectorAll("input.dpk-type").forEach(function (b) { shown[b.value] = b.checked; });
      nodes.update(nodes.get().map(function (n) { return {id: n.id, hidden: !shown[n.kind]}; }));
      later();
    });
  });
  document.querySelectorAll("input[name=dpk-colour]").forEach(function (r) {
    r.addEventListener("change", function () {
      var by = r.value;
      nodes.update(nodes.get().map(function (n) {
        return {id: n.id, color: by === "community" ? D.communityColours[Math.max(n.community, 0) % D.communityColours.length]
                                                    : D.kindColours[n.kind]};
      }));
      document.getElementById("dpk-legend-kind").hidden = by !== "kind";
      document.getElementById("dpk-legend-community").hidden = by !== "community";
      later();
    });
  });
  document.getElementById("dpk-size").addEventListener("change", function (e) {
    var metric = e.target.value, all = nodes.get(), top = 0;
    all.forEach(function (n) { top = Math.max(top, Number(n.metrics[metric]) || 0); });
    nodes.update(all.map(function (n) {  // the rule of node_size() in views.py
      var v = Math.max(Number(n.metrics[metric]) || 0, 0);
      return {id: n.id, size: top > 0 ? D.sizeMin + (D.sizeMax - D.sizeMin) * v / top : D.sizeMin};
    }));
    later();
  });
  document.getElementById("dpk-fit").addEventListener("click", function () { network.fit({animation: false}); later(); });
  function download(url, name) {
    var a = el("a"); a.href = url; a.download = name; document.body.appendChild(a); a.click(); a.remove();
  }
  document.getElementById("dpk-png").addEventListener("click", function () {
    var src = network.canvas.frame.canvas, c = document.createElement("canvas");
    c.width = src.width; c.height = src.height;
    var g = c.getContext("2d"); g.fillStyle = "#ffffff"; g.fillRect(0, 0, c.width, c.height); g.drawImage(src, 0, 0);
    download(c.toDataURL("image/png"), D.name + ".png");
  });
  function svgExport() {
    var NS = "http://www.w3.org/2000/svg";
    function make(tag, attrs) {
      var x = document.createElementNS(NS, tag);
      Object.keys(attrs).forEach(function (k) { x.setAttribute(k, attrs[k]); });
      return x;
    }
    var ids = nodes.getIds({filter: function (n) { return !n.hidden; }});
    var pos = network.getPositions(ids), minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    ids.forEach(function (id) { var p = pos[id]; minX = Math.min(minX, p.x); minY = Math.min(minY, p.y);
      maxX = Math.max(maxX, p.x); maxY = Math.max(maxY, p.y); });
    if (!ids.length) { minX = minY = 0; maxX = maxY = 1; }
    var pad = 80, svg = document.createElementNS(NS, "svg");
    svg.setAttribute("xmlns", NS);
    svg.setAttribute("viewBox", [minX - pad, minY - pad, maxX - minX + 2 * pad, maxY - minY + 2 * pad].join(" "));
    svg.setAttribute("font-family", "sans-serif");
    var title = document.createElementNS(NS, "title"); title.textContent = D.title; svg.appendChild(title);
    edges.get().forEach(function (e) {
      var a = pos[e.from], b = pos[e.to];
      if (!a || !b) return;
      var line = document.createElementNS(NS, "line");
      line.setAttribute("x1", a.x); line.setAttribute("y1", a.y); line.setAttribute("x2", b.x); line.setAttribute("y2", b.y);
      line.setAttribute("stroke", "#aaaaaa"); line.setAttribute("stroke-width", Number(e.width) || 1);
      svg.appendChild(line);
    });
    ids.forEach(function (id) {
      var n = nodes.get(id), p = pos[id], body = network.body.nodes[id];
      var r = (body && body.options.size) || 12, geo = D.shapes[n.shape] || "circle", s;
      var colour = body && body.options.color ? body.options.color.background : "#888888";
      if (geo === "circle") s = make("circle", {cx: p.x, cy: p.y, r: r});
      else if (geo === "ellipse") s = make("ellipse", {cx: p.x, cy: p.y, rx: r * 1.6, ry: r});
      else if (geo === "box") s = make("rect", {x: p.x - r * 1.6, y: p.y - r * 0.8, width: r * 3.2, height: r * 1.6});
      else s = make("polygon", {points: geo.map(function (xy) { return (p.x + xy[0] * r) + "," + (p.y + xy[1] * r); }).join(" ")});
      s.setAttribute("fill", colour); s.setAttribute("stroke", "#333333"); s.setAttribute("stroke-width", "0.8");
      var t = document.createElementNS(NS, "title"); t.textContent = String(n.title).split("\n")[0]; s.appendChild(t);
      svg.appendChild(s);
      var label = document.createElementNS(NS, "text");
      label.setAttribute("x", p.x); label.setAttribute("y", p.y + r + D.font); label.setAttribute("font-size", D.font);
      label.setAttribute("text-anchor", "middle"); label.textContent = String(n.label);
      svg.appendChild(label);
    });
    return new XMLSerializer().serializeToString(svg);
  }
  window.dpkSvg = svgExport;
  document.getElementById("dpk-svg").addEventListener("click", function () {
    download("data:image/svg+xml;charset=utf-8," + encodeURIComponent(svgExport()), D.name + ".svg");
  });
})();
