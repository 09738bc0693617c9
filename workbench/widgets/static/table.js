// Slice table view: draws the page of rows Python sends, and reports clicks back as traits.
// Everything is built with DOM calls and textContent (no innerHTML of data).

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function render({ model, el }) {
  const root = h("div", { class: "wbt" });
  el.append(root);

  // -- toolbar: text filter, feature filter, page size --------------------------------------
  const search = h("input", {
    class: "wbt-search", type: "search", placeholder: "Filter slices…",
    "aria-label": "Filter slices by text",
  });
  search.value = model.get("filter_text");
  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      model.set("filter_text", search.value);
      model.save_changes();
    }, 200);
  });
  const feature = h("select", { class: "wbt-feature", "aria-label": "Only slices on feature" });
  feature.addEventListener("change", () => {
    model.set("filter_feature", feature.value);
    model.save_changes();
  });
  const pageSize = h("select", { class: "wbt-pagesize", "aria-label": "Rows per page" });
  for (const n of [10, 25, 50, 100]) pageSize.append(h("option", { value: String(n), text: `${n} / page` }));
  pageSize.addEventListener("change", () => {
    model.set("page_size", Number(pageSize.value));
    model.save_changes();
  });
  const count = h("span", { class: "wbt-count" });
  root.append(h("div", { class: "wbt-toolbar" }, search, feature, count, pageSize));

  // -- table ---------------------------------------------------------------------------------
  const table = h("table", { class: "wbt-table", role: "grid", "aria-label": "Slices found by the scan" });
  const thead = h("thead");
  const tbody = h("tbody");
  table.append(thead, tbody);
  root.append(h("div", { class: "wbt-scroll" }, table));

  // -- pager ---------------------------------------------------------------------------------
  const prev = h("button", { class: "wbt-btn", type: "button", text: "‹ Prev", "aria-label": "Previous page" });
  const next = h("button", { class: "wbt-btn", type: "button", text: "Next ›", "aria-label": "Next page" });
  const where = h("span", { class: "wbt-where" });
  const go = (delta) => {
    const page = model.get("page") + delta;
    if (page < 0 || page >= model.get("n_pages")) return;
    model.set("page", page);
    model.save_changes();
  };
  prev.addEventListener("click", () => go(-1));
  next.addEventListener("click", () => go(1));
  root.append(h("div", { class: "wbt-pager" }, prev, where, next));

  function select(id) {
    // Choosing the open slice again brings its drill-down back into view.
    if (model.get("selected") === id) model.set("reopen", model.get("reopen") + 1);
    else model.set("selected", id);
    model.save_changes();
  }

  // Redraws replace the rows and headers: keep keyboard focus on the same header or row
  // (otherwise it drops to the page after Enter or a sort).
  function focusedKey(section, attr) {
    const active = document.activeElement;
    return active && section.contains(active) ? active.getAttribute(attr) : null;
  }
  function refocus(section, attr, key) {
    if (key == null) return;
    const target = Array.from(section.querySelectorAll(`[${attr}]`)).find((n) => n.getAttribute(attr) === key);
    if (target) target.focus({ preventScroll: true });
  }

  function drawHead() {
    const hadFocus = focusedKey(thead, "data-key");
    thead.replaceChildren();
    const tr = h("tr");
    const sortBy = model.get("sort_by");
    const desc = model.get("sort_descending");
    for (const col of model.get("columns")) {
      const active = col.key === sortBy;
      const arrow = active ? (desc ? " ▼" : " ▲") : "";
      const th = h("th", {
        class: `wbt-${col.align}${active ? " wbt-sorted" : ""}`, title: `${col.title} (click to sort)`,
        "data-key": col.key, tabindex: "0", role: "columnheader",
        "aria-sort": active ? (desc ? "descending" : "ascending") : "none",
      }, h("span", { text: col.label }), h("span", { class: "wbt-arrow", text: arrow }));
      const sort = () => {
        if (model.get("sort_by") === col.key) model.set("sort_descending", !model.get("sort_descending"));
        else {
          model.set("sort_by", col.key);
          // Most columns are read "worst first"; text and rank read naturally ascending.
          model.set("sort_descending", !["rank", "description", "p_value_adjusted"].includes(col.key));
        }
        model.save_changes();
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
      tr.append(th);
    }
    thead.append(tr);
    refocus(thead, "data-key", hadFocus);
  }

  function cell(row, col) {
    const td = h("td", { class: `wbt-${col.align}`, "data-key": col.key });
    if (col.key === "description") {
      const chips = h("span", { class: "wbt-chips", title: row.description });
      row.predicates.forEach((p, i) => {
        if (i > 0) chips.append(h("span", { class: "wbt-and", text: "and" }));
        chips.append(h("span", { class: "wbt-chip" },
          h("span", { class: "wbt-feat", text: p.feature }),
          p.op ? h("span", { class: "wbt-op", text: ` ${p.op} ` }) : h("span", { text: " " }),
          h("span", { class: "wbt-val", text: p.value })));
      });
      if (!row.predicates.length) chips.append(h("span", { text: "all rows" }));
      td.append(chips);
      if (row.n_also) {
        const more = row.n_also > row.also.length ? ` (+${row.n_also - row.also.length} more)` : "";
        // the first description may be cut to the cell's width; the count never is
        td.append(h("div", {
          class: "wbt-also", "data-testid": "also-described-as",
          title: `Other descriptions of (nearly) the same rows:\n${row.also.join("\n")}${more}`,
        }, h("span", { class: "wbt-also-text", text: `also described as ${row.also[0]}` }),
        row.n_also > 1 ? h("span", { class: "wbt-also-more", text: ` (+${row.n_also - 1} more)` }) : null));
      }
    } else if (col.key === "slice_error") {
      td.append(h("span", { class: "wbt-num", text: row.slice_error }), h("span", { class: "wbt-ci", text: ` ${row.ci}` }));
    } else if (col.key === "p_value_adjusted") {
      td.append(h("span", { class: "wbt-num", text: row.p_value_adjusted ?? "" }),
        h("span", { class: "wbt-ptag", "data-testid": "p-tag", title: row.p_how || "", text: ` ${row.p_tag || ""}` }));
    } else if (col.key === "significant") {
      td.append(row.significant
        ? h("span", { class: "wbt-badge wbt-sig", text: "significant", title: "Adjusted p-value below the FDR level" })
        : h("span", { class: "wbt-badge wbt-ns", text: "n.s.", title: "Not significant after correction" }));
    } else if (col.key === "flagged") {
      if (row.flagged) td.append(h("span", { class: "wbt-flag", text: "⚑", title: row.flag_note || "flagged" }));
    } else {
      td.append(h("span", { class: "wbt-num", text: row[col.key] ?? "" }));
    }
    return td;
  }

  function drawBody() {
    const hadFocus = focusedKey(tbody, "data-slice-id");
    tbody.replaceChildren();
    const cols = model.get("columns");
    const selected = model.get("selected");
    const rows = model.get("rows");
    for (const row of rows) {
      const tr = h("tr", {
        class: `wbt-row${row.slice_id === selected ? " wbt-selected" : ""}`,
        "data-slice-id": row.slice_id, tabindex: "0",
        "aria-selected": row.slice_id === selected ? "true" : "false",
      });
      tr.addEventListener("click", () => select(row.slice_id));
      tr.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(row.slice_id); } });
      for (const col of cols) tr.append(cell(row, col));
      tbody.append(tr);
    }
    if (!rows.length) {
      const msg = model.get("n_total") ? "No slice matches the filters." : "No slices yet: run a scan.";
      tbody.append(h("tr", {}, h("td", { class: "wbt-empty", colspan: String(cols.length), text: msg })));
    }
    refocus(tbody, "data-slice-id", hadFocus);
  }

  // "Back to the table" in the drill-down asks for the selected row's focus.
  model.on("change:focus_request", () => {
    const id = model.get("selected");
    const row = Array.from(tbody.querySelectorAll("[data-slice-id]")).find((n) => n.getAttribute("data-slice-id") === id);
    if (row) { row.scrollIntoView({ block: "center" }); row.focus({ preventScroll: true }); }
  });

  function drawTools() {
    const feats = model.get("features");
    const current = model.get("filter_feature");
    feature.replaceChildren(h("option", { value: "", text: "All features" }));
    for (const f of feats) feature.append(h("option", { value: f, text: f }));
    feature.value = current;
    pageSize.value = String(model.get("page_size"));
    if (document.activeElement !== search) search.value = model.get("filter_text");
    const n = model.get("n_filtered");
    const total = model.get("n_total");
    count.textContent = n === total ? `${total} slices` : `${n} of ${total} slices`;
    const page = model.get("page");
    const pages = model.get("n_pages");
    where.textContent = `Page ${page + 1} of ${pages}`;
    prev.disabled = page <= 0;
    next.disabled = page >= pages - 1;
  }

  function drawAll() { drawHead(); drawBody(); drawTools(); }
  drawAll();
  model.on("change:rows", drawBody);
  model.on("change:selected", drawBody);
  model.on("change:sort_by", drawHead);
  model.on("change:sort_descending", drawHead);
  model.on("change:columns", drawAll);
  for (const name of ["features", "filter_feature", "filter_text", "page", "n_pages", "n_filtered", "n_total", "page_size"]) {
    model.on(`change:${name}`, drawTools);
  }
  return () => clearTimeout(timer);
}

export default { render };
