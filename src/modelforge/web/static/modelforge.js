/*
 * modelforge.js: the dashboard's page behaviour (loaded deferred, after kit.js).
 *
 * - form[data-confirm]: asks before submitting (archive, delete).
 * - The upload page: drag and drop (or choose) an .onnx file, create the record, send the file
 *   with XMLHttpRequest so its upload progress events drive a real progress bar, then validate;
 *   a failed validation is shown as a failure.
 * - The predict page: the JSON editor is checked against the input schema as you type; the
 *   prediction shows its latency and the X-Cache answer (HIT, MISS, BYPASS).
 *
 * Calls to the API carry a short-lived access token of the browser session, asked from
 * /ui/session/token and kept in memory only.
 */
(() => {
  "use strict";

  // -- the API, with the session's token ---------------------------------------------------

  let cachedToken = null;

  async function apiToken(tokenUrl) {
    if (cachedToken && cachedToken.until > Date.now()) return cachedToken.value;
    const response = await fetch(tokenUrl, { method: "POST", credentials: "same-origin" });
    const type = response.headers.get("content-type") || "";
    if (!response.ok || !type.includes("application/json")) {
      throw new Error("You are signed out; sign in again.");
    }
    const body = await response.json();
    // Renewed a minute early, so a token never expires mid-request.
    cachedToken = { value: body.access_token, until: Date.now() + (body.expires_in - 60) * 1000 };
    return cachedToken.value;
  }

  function envelopeMessage(status, text) {
    try {
      const body = JSON.parse(text);
      const problems = body.error && body.error.details && body.error.details.problems;
      const message = (body.error && body.error.message) || body.detail;
      if (message) return problems ? `${message}: ${problems.join("; ")}` : message;
    } catch (_) { /* not JSON: fall through */ }
    return `The server answered ${status}.`;
  }

  async function callApi(tokenUrl, url, options = {}) {
    const token = await apiToken(tokenUrl);
    const headers = { Authorization: `Bearer ${token}`, ...(options.headers || {}) };
    const response = await fetch(url, { ...options, headers, credentials: "omit" });
    const text = await response.text();
    return { response, text, json: () => JSON.parse(text) };
  }

  const withId = (template, id) => template.replace("00000000-0000-0000-0000-000000000000", id);

  // -- confirmations ----------------------------------------------------------------------

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  // -- upload -------------------------------------------------------------------------------

  function setUpUpload(form) {
    const zone = document.getElementById("drop-zone");
    const input = document.getElementById("model-file");
    const nameInput = document.getElementById("model-name");
    const chosen = document.getElementById("chosen-file");
    const status = document.getElementById("upload-status");
    const bar = document.getElementById("upload-progress");
    const percent = document.getElementById("upload-percent");
    const step = document.getElementById("upload-step");
    const result = document.getElementById("upload-result");
    const button = document.getElementById("upload-button");
    const tokenUrl = form.dataset.tokenUrl;
    let file = null;

    function choose(candidate) {
      if (!candidate) return;
      if (!candidate.name.toLowerCase().endsWith(".onnx")) {
        window.kit.toast(`${candidate.name} is not an .onnx file`, "error");
        return;
      }
      if (candidate.size > Number(form.dataset.maxBytes)) {
        window.kit.toast(`${candidate.name} is larger than the server accepts`, "error");
        return;
      }
      file = candidate;
      chosen.textContent = `${file.name} (${file.size} bytes)`;
      if (!nameInput.value) nameInput.value = file.name.replace(/\.onnx$/i, "");
    }

    input.addEventListener("change", () => choose(input.files[0]));
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("dragging");
      choose(event.dataTransfer.files[0]);
    });

    function showResult(kind, message, modelId) {
      result.replaceChildren();
      const paragraph = document.createElement("p");
      paragraph.className = kind;
      paragraph.setAttribute("role", kind === "failure" ? "alert" : "status");
      paragraph.textContent = message;
      result.append(paragraph);
      if (modelId) {
        const link = document.createElement("a");
        link.href = withId(form.dataset.pageUrl, modelId);
        link.textContent = "Open the model";
        link.id = "open-model";
        result.append(link);
      }
    }

    function sendFile(url, token) {
      // XMLHttpRequest, not fetch: only it reports upload progress.
      return new Promise((resolve, reject) => {
        const request = new XMLHttpRequest();
        request.open("POST", url);
        request.setRequestHeader("Authorization", `Bearer ${token}`);
        let events = 0;
        request.upload.addEventListener("progress", (event) => {
          if (!event.lengthComputable) return;
          const done = Math.round((100 * event.loaded) / event.total);
          bar.value = done;
          bar.dataset.progressEvents = String(++events);
          percent.textContent = `${done}%`;
        });
        request.addEventListener("load", () => resolve(request));
        request.addEventListener("error", () => reject(new Error("the upload was interrupted")));
        const body = new FormData();
        body.append("file", file, file.name);
        request.send(body);
      });
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!file) {
        window.kit.toast("Choose or drop an .onnx file first", "error");
        return;
      }
      button.disabled = true;
      status.hidden = false;
      result.replaceChildren();
      bar.value = 0;
      percent.textContent = "0%";
      let modelId = null;
      try {
        step.textContent = "Creating the model…";
        const description = document.getElementById("model-description").value;
        const created = await callApi(tokenUrl, form.dataset.createUrl, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({
            name: nameInput.value.trim(),
            version: document.getElementById("model-version").value.trim(),
            visibility: document.getElementById("model-visibility").value,
            description: description || null,
          }),
        });
        if (created.response.status !== 201) {
          throw new Error(envelopeMessage(created.response.status, created.text));
        }
        modelId = created.json().id;
        step.textContent = "Uploading…";
        const sent = await sendFile(withId(form.dataset.uploadUrl, modelId), await apiToken(tokenUrl));
        if (sent.status !== 200) {
          // Nothing usable was stored: remove the half-created record.
          await callApi(tokenUrl, withId(form.dataset.deleteUrl, modelId), { method: "DELETE" });
          modelId = null;
          throw new Error(envelopeMessage(sent.status, sent.responseText));
        }
        step.textContent = "Validating in ONNX Runtime…";
        const validated = await callApi(tokenUrl, withId(form.dataset.validateUrl, modelId), {
          method: "POST",
        });
        if (validated.response.ok) {
          step.textContent = "Done.";
          showResult("success", "Validated: the model is ready for predictions.", modelId);
        } else {
          step.textContent = "Validation failed.";
          const message = envelopeMessage(validated.response.status, validated.text);
          const reason = message.replace(/^validation failed:\s*/i, "");
          showResult("failure", `Validation failed: ${reason}`, modelId);
        }
      } catch (error) {
        step.textContent = "Failed.";
        showResult("failure", error.message, modelId);
      } finally {
        button.disabled = false;
      }
    });
  }

  // -- predict: live validation against the input schema ---------------------------------------

  function dimsOf(value, path, problems) {
    // The shape of a nested list, or null when it is ragged (reported once).
    if (!Array.isArray(value)) return [];
    if (value.length === 0) return [0];
    const inner = value.map((item) => dimsOf(item, path, problems));
    const first = JSON.stringify(inner[0]);
    if (inner.some((dims) => dims === null || JSON.stringify(dims) !== first)) return null;
    return [value.length, ...inner[0]];
  }

  function leaves(value, out) {
    if (Array.isArray(value)) value.forEach((item) => leaves(item, out));
    else out.push(value);
    return out;
  }

  function valueProblem(dtype, value) {
    if (dtype === "string") return typeof value === "string" ? null : "strings";
    if (dtype === "bool") return typeof value === "boolean" ? null : "true or false";
    if (typeof value !== "number") return "numbers";
    if (/^u?int/.test(dtype) && !Number.isInteger(value)) return "integers";
    if (/^uint/.test(dtype) && value < 0) return "non-negative integers";
    return null;
  }

  function checkInputs(schema, text) {
    let data;
    try {
      data = JSON.parse(text);
    } catch (error) {
      return [`Not valid JSON: ${error.message}`];
    }
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      return ["The input is an object: input name → nested list."];
    }
    const problems = [];
    const names = new Set(schema.map((spec) => spec.name));
    for (const key of Object.keys(data)) {
      if (!names.has(key)) problems.push(`"${key}" is not an input of this model.`);
    }
    for (const spec of schema) {
      if (!(spec.name in data)) {
        problems.push(`"${spec.name}" is missing.`);
        continue;
      }
      const dims = dimsOf(data[spec.name], spec.name, problems);
      if (dims === null) {
        problems.push(`"${spec.name}" is ragged: every row must have the same length.`);
        continue;
      }
      if (Array.isArray(spec.shape)) {
        const shown = spec.shape.map((d) => (d === null ? "?" : d)).join(", ");
        if (dims.length !== spec.shape.length) {
          problems.push(`"${spec.name}" has ${dims.length} axes; the model expects [${shown}].`);
        } else {
          spec.shape.forEach((expected, axis) => {
            if (expected !== null && expected > 0 && dims[axis] !== expected) {
              problems.push(`"${spec.name}" axis ${axis} is ${dims[axis]}; the model expects ${expected}.`);
            }
          });
        }
      }
      const wrong = leaves(data[spec.name], []).map((v) => valueProblem(spec.dtype, v)).find(Boolean);
      if (wrong) problems.push(`"${spec.name}" (${spec.dtype}) holds ${wrong} only.`);
    }
    return problems;
  }

  function setUpPredict(form) {
    const schema = JSON.parse(document.getElementById("predict-schema").textContent);
    const editor = document.getElementById("predict-input");
    const list = document.getElementById("predict-problems");
    const button = document.getElementById("predict-button");
    const resultBox = document.getElementById("predict-result");
    const errorBox = document.getElementById("predict-error");

    function validate() {
      const problems = checkInputs(schema, editor.value);
      list.replaceChildren(...problems.map((text) => {
        const item = document.createElement("li");
        item.textContent = text;
        return item;
      }));
      editor.setAttribute("aria-invalid", problems.length ? "true" : "false");
      button.disabled = problems.length > 0;
      return problems.length === 0;
    }

    editor.addEventListener("input", validate);
    document.getElementById("format-json").addEventListener("click", () => {
      try {
        editor.value = JSON.stringify(JSON.parse(editor.value), null, 2);
      } catch (_) { /* the problems list already says why */ }
      validate();
    });
    validate();

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!validate()) return;
      button.disabled = true;
      errorBox.hidden = true;
      const started = performance.now();
      try {
        const answer = await callApi(form.dataset.tokenUrl, form.dataset.predictUrl, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({
            input_data: JSON.parse(editor.value),
            skip_cache: document.getElementById("skip-cache").checked,
          }),
        });
        const roundTrip = performance.now() - started;
        if (answer.response.status !== 201) {
          throw new Error(envelopeMessage(answer.response.status, answer.text));
        }
        const body = answer.json();
        const cache = answer.response.headers.get("X-Cache") || "?";
        const badge = document.getElementById("cache-badge");
        badge.textContent = cache;
        badge.dataset.status = { HIT: "ok", MISS: "pending", BYPASS: "warning" }[cache] || "pending";
        document.getElementById("prediction-id").textContent = body.id;
        document.getElementById("inference-ms").textContent =
          `${body.inference_time_ms.toFixed(2)} ms${body.cached ? " (of the cached run)" : ""}`;
        document.getElementById("round-trip-ms").textContent = `${roundTrip.toFixed(1)} ms`;
        document.getElementById("prediction-output").textContent =
          JSON.stringify(body.output_data, null, 2);
        resultBox.hidden = false;
      } catch (error) {
        errorBox.textContent = error.message;
        errorBox.hidden = false;
      } finally {
        button.disabled = false;
      }
    });
  }

  const uploadForm = document.getElementById("upload-form");
  if (uploadForm) setUpUpload(uploadForm);
  const predictForm = document.getElementById("predict-form");
  if (predictForm) setUpPredict(predictForm);
})();
