// The drill-down of the marimo explorer: the slice's HTML (drawn in Python) and its
// actions (refine, flag with a note, export). Actions go to Python as custom
// messages; exports come back as binary chunks that the browser joins and saves.

let counter = 0;

function control(tag, className, testid) {
  const node = document.createElement(tag);
  node.className = className;
  if (testid) node.setAttribute("data-testid", testid);
  return node;
}

function labelled(text, input) {
  counter += 1;
  input.id = `wbm-${counter}`;
  const label = document.createElement("label");
  label.htmlFor = input.id;
  label.className = "wbm-label";
  label.textContent = text;
  return label;
}

function button(text, testid) {
  const b = control("button", "wbm-button", testid);
  b.type = "button";
  b.textContent = text;
  return b;
}

function render({ model, el }) {
  const root = control("div", "wbm");
  const body = control("div", "wbm-body", "marimo-drill");
  const actions = control("div", "wbm-actions");

  const refine = control("select", "wbm-select", "refine-value");
  const add = button("Add condition", "refine-add");
  const back = button("Back to the found slice", "refine-back");
  const refineRow = control("div", "wbm-row");
  refineRow.append(labelled("Narrow it down:", refine), refine, add, back);

  const note = control("input", "wbm-note", "flag-note");
  note.type = "text";
  note.placeholder = "why this slice matters";
  const flag = button("Flag slice", "flag-button");
  const flagRow = control("div", "wbm-row");
  flagRow.append(labelled("Note:", note), note, flag);

  const rows = button("⤓ Export rows (CSV)", "export-rows");
  const flagged = button("⤓ Export flagged (CSV)", "export-flagged");
  const status = control("span", "wbm-status", "marimo-status");
  status.setAttribute("role", "status");
  const exportRow = control("div", "wbm-row");
  exportRow.append(rows, flagged, status);

  actions.append(refineRow, flagRow, exportRow);
  root.append(body, actions);
  el.append(root);

  const drawBody = () => {
    body.innerHTML = model.get("html");
    const title = body.querySelector("[data-testid=slice-title]");
    if (title) title.setAttribute("tabindex", "-1");
  };
  const draw = () => {
    const options = model.get("refine_options") || [];
    refine.replaceChildren(
      ...options.map((o, i) => {
        const option = document.createElement("option");
        option.value = String(i);
        option.textContent = o.label;
        return option;
      }),
    );
    const has = model.get("has_slice");
    actions.style.display = has ? "" : "none";
    refine.disabled = add.disabled = options.length === 0;
    back.disabled = !model.get("refined");
    flag.textContent = model.get("flag_label");
    if (note.getRootNode().activeElement !== note) note.value = model.get("note");
    status.textContent = model.get("status");
  };
  drawBody();
  draw();
  model.on("change:html", drawBody);
  for (const key of ["refine_options", "has_slice", "refined", "flag_label", "note", "status"]) {
    model.on(`change:${key}`, draw);
  }
  model.on("change:focus_request", () => {
    root.scrollIntoView({ block: "start", behavior: "instant" });
    const title = body.querySelector("[data-testid=slice-title]");
    if (title) title.focus({ preventScroll: true });
  });

  add.addEventListener("click", () => {
    const chosen = (model.get("refine_options") || [])[Number(refine.value)];
    if (chosen) model.send({ action: "refine", feature: chosen.feature, value: chosen.value });
  });
  back.addEventListener("click", () => model.send({ action: "back" }));
  flag.addEventListener("click", () => model.send({ action: "flag", note: note.value }));
  rows.addEventListener("click", () => model.send({ action: "export", what: "rows" }));
  flagged.addEventListener("click", () => model.send({ action: "export", what: "flagged" }));

  let parts = [];
  model.on("msg:custom", (msg, buffers) => {
    if (msg.type !== "chunk") return;
    if (msg.index === 0) parts = [];
    for (const buffer of buffers || []) parts.push(buffer);
    if (!msg.last) return;
    const url = URL.createObjectURL(new Blob(parts, { type: msg.mime }));
    parts = [];
    const link = document.createElement("a");
    link.href = url;
    link.download = msg.filename;
    link.style.display = "none";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  });
}

export default { render };
