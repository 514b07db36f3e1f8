"use strict";
// The body's rich-text editor: Quill 2 (static/vendor/quill-2.0.3, BSD-3-Clause) over the
// body's textarea. It offers only what the importer writes and the sanitiser keeps
// (paragraphs, 小标题, bold, italic, links, quotes, lists); pasting from Word or a web page
// keeps those and drops the rest (fonts, colours, spans, scripts). The server sanitises
// whatever arrives (articles/ingest/cleaning.py).
//
// The textarea stays the form's field: it is written back only when the editor changed the
// text, so an untouched save posts the stored HTML unchanged. A body with markup the editor
// cannot show (tables, figures, images, code) opens in the HTML source view instead of
// being simplified; the 源码 button switches views.
// Admin media scripts load in <head>: wait for the form.
document.addEventListener("DOMContentLoaded", () => {
  const textarea = document.getElementById("id_body");
  if (!textarea || !window.Quill) return;
  const EDITABLE = new Set(["P", "BR", "STRONG", "B", "EM", "I", "U", "S", "A", "H2", "H3",
    "BLOCKQUOTE", "UL", "OL", "LI"]);
  const probe = document.createElement("template");
  probe.innerHTML = textarea.value;
  const richOnly = [...probe.content.querySelectorAll("*")].every((el) => EDITABLE.has(el.tagName));

  const shell = document.createElement("div");
  shell.className = "nr-editor";
  const bar = document.createElement("div");
  bar.className = "nr-editor-modes";
  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "button nr-editor-toggle";
  bar.append(toggle);
  const note = document.createElement("span");
  note.className = "nr-editor-note";
  bar.append(note);
  const box = document.createElement("div");
  box.className = "nr-editor-box";
  textarea.before(shell);
  shell.append(bar, box);
  shell.append(textarea);

  const quill = new Quill(box, {
    theme: "snow",
    formats: ["header", "bold", "italic", "underline", "strike", "link", "blockquote", "list"],
    modules: {
      toolbar: [[{header: [2, 3, false]}], ["bold", "italic", "underline", "strike"],
        ["link", "blockquote"], [{list: "ordered"}, {list: "bullet"}], ["clean"]],
    },
  });
  // Pasted code, styles and embeds are not story text: dropped with their content (as the
  // server's sanitiser drops them), not turned into words.
  const Delta = Quill.import("delta");
  for (const tag of ["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "IFRAME", "OBJECT", "TITLE", "META"]) {
    quill.clipboard.addMatcher(tag, () => new Delta());
  }
  // A paste is converted here, before Quill sees it, without its style attributes and
  // <style> blocks (Word puts both everywhere): they carry nothing the story keeps, and
  // parsing them would only trip the admin's Content-Security-Policy.
  shell.addEventListener("paste", (event) => {
    const html = event.clipboardData && event.clipboardData.getData("text/html");
    if (!html || !rich) return;
    event.preventDefault();
    event.stopPropagation();
    const cleaned = html.replace(/<style[\s\S]*?<\/style>/gi, "")
      .replace(/\sstyle\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, "");
    const range = quill.getSelection(true);
    const pasted = quill.clipboard.convert({html: cleaned, text: event.clipboardData.getData("text/plain")});
    quill.updateContents(new Delta().retain(range.index).delete(range.length).concat(pasted), "user");
    quill.setSelection(range.index + pasted.length(), "silent");
  }, true);
  const editorRoot = shell.querySelector(".ql-editor");
  editorRoot.setAttribute("aria-label", "正文");
  const TITLES = {bold: "粗体", italic: "斜体", underline: "下划线", strike: "删除线", link: "链接",
    blockquote: "引用", "list-ordered": "编号列表", "list-bullet": "项目列表", clean: "清除格式"};
  shell.querySelectorAll(".ql-toolbar button").forEach((button) => {
    const name = [...button.classList].find((c) => c.startsWith("ql-")).slice(3);
    const title = TITLES[button.value ? `${name}-${button.value}` : name];
    if (title) {
      button.title = title;
      button.setAttribute("aria-label", title);
    }
  });
  let edited = false;
  const load = () => {
    quill.clipboard.dangerouslyPasteHTML(textarea.value, "silent");
    edited = false;
  };
  quill.on("text-change", (delta, old, source) => {
    if (source === "user") edited = true;
  });

  let rich = richOnly;
  const show = () => {
    shell.querySelector(".ql-toolbar").hidden = !rich;
    box.hidden = !rich;
    textarea.hidden = rich;
    toggle.textContent = rich ? "HTML 源码" : "可视化编辑";
    note.textContent = !richOnly && !rich ? "本稿含表格、图片等排版，可视化编辑会丢失它们，请在源码中修改。" : "";
  };
  toggle.addEventListener("click", () => {
    if (rich && edited) textarea.value = quill.getSemanticHTML();
    rich = !rich;
    if (rich) load();
    show();
  });
  textarea.form.addEventListener("submit", () => {
    if (rich && edited) textarea.value = quill.getSemanticHTML();
  });
  if (rich) load();
  show();
});
