/*
 * kit.js: the little behaviour every suite UI shares; loaded (deferred) by base.html after
 * htmx, marked, DOMPurify and highlight.js.
 *
 * 1. Markdown: an element marked `data-markdown` holds markdown source as its text (let Jinja
 *    autoescape it: <div data-markdown>{{ text }}</div>). It is rendered with marked, sanitized
 *    with DOMPurify (model output and user text are untrusted) and its code blocks highlighted,
 *    on page load and whenever htmx (SSE included) brings such an element into the page.
 * 2. Errors: when an htmx request fails, the message of the server's error envelope
 *    {"error": {"code", "message", "details"?}} is shown in the toast area.
 *
 * window.kit = { toast(message, level), renderMarkdown(root) } for page scripts.
 */
(() => {
  "use strict";

  function toast(message, level = "info") {
    const template = document.getElementById("kit-toast-template");
    const node = template.content.firstElementChild.cloneNode(true);
    node.dataset.level = level;
    // textContent, never innerHTML: error messages may echo user input.
    node.querySelector(".kit-toast-message").textContent = message;
    document.getElementById("kit-toasts").append(node);
    return node;
  }

  function renderMarkdown(root) {
    const elements = [...root.querySelectorAll("[data-markdown]:not([data-markdown-rendered])")];
    if (root.matches("[data-markdown]:not([data-markdown-rendered])")) elements.unshift(root);
    for (const element of elements) {
      const html = marked.parse(element.textContent, { async: false });
      element.innerHTML = DOMPurify.sanitize(html);
      for (const code of element.querySelectorAll("pre code")) hljs.highlightElement(code);
      element.setAttribute("data-markdown-rendered", "");
    }
  }

  function errorMessage(xhr) {
    try {
      const message = JSON.parse(xhr.responseText)?.error?.message;
      if (typeof message === "string" && message) return message;
    } catch {
      // Not JSON (a proxy's HTML error page, say): fall back to the status line.
    }
    return `Request failed: ${xhr.status} ${xhr.statusText}`.trim();
  }

  document.addEventListener("htmx:responseError", (event) => {
    toast(errorMessage(event.detail.xhr), "error");
  });

  document.addEventListener("htmx:sendError", () => {
    toast("The server could not be reached. Check the connection and try again.", "error");
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-kit-dismiss]");
    if (button) button.closest(".kit-toast").remove();
  });

  // htmx calls this for the body once it is ready, then for every element it swaps in.
  htmx.onLoad(renderMarkdown);

  window.kit = { toast, renderMarkdown };
})();
