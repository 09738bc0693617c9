// A download button for files of any size: Python sends the file in chunks (binary
// buffers of custom messages); the browser joins them into a Blob and saves it.

function render({ model, el }) {
  const wrap = document.createElement("div");
  wrap.className = "wbd";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "wbd-button";
  button.setAttribute("data-testid", "download-stream");
  const status = document.createElement("span");
  status.className = "wbd-status";
  status.setAttribute("role", "status");
  wrap.append(button, status);
  el.append(wrap);

  const draw = () => {
    button.textContent = `⤓ ${model.get("label")}`;
    button.setAttribute("aria-label", `Download ${model.get("filename")} (${model.get("size_text")})`);
    status.textContent = `(${model.get("size_text")}${model.get("note") ? "; " + model.get("note") : ""})`;
  };
  draw();
  model.on("change:label", draw);
  model.on("change:filename", draw);

  let parts = [];
  let received = 0;
  model.on("msg:custom", (msg, buffers) => {
    if (msg.type !== "chunk") return;
    if (msg.index === 0) { parts = []; received = 0; }
    for (const buffer of buffers || []) {
      parts.push(buffer);
      received += buffer.byteLength;
    }
    status.textContent = `receiving… ${Math.round((100 * received) / Math.max(1, model.get("size")))} %`;
    if (!msg.last) return;
    const blob = new Blob(parts, { type: model.get("mime") });
    parts = [];
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = model.get("filename");
    link.style.display = "none";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    button.disabled = false;
    draw();
  });
  button.addEventListener("click", () => {
    button.disabled = true;
    status.textContent = "preparing…";
    model.send({ type: "request" });
  });
}

export default { render };
