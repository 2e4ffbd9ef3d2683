/*
 * galileo.js: the live run page's behaviour, loaded (deferred) after htmx, its SSE extension,
 * Chart.js and kit.js.
 *
 * 1. No event twice, none lost: each element fed by SSE (sse-swap) keeps the seq of the last
 *    event it showed in data-last-seq, and drops any event at or below it (an event the page was
 *    rendered with, or one sent again after a reconnection). The stream's URL is kept pointing
 *    after the newest event, so when the SSE extension opens a new EventSource after a failure
 *    it resumes there; a reconnection by the browser itself sends Last-Event-ID.
 * 2. The transcript keeps at most MAX_ENTRIES entries and follows new ones while the reader
 *    is at its end; scored cases reload the elements marked data-refresh-on-score.
 * 3. Score histograms: <canvas data-histogram='{"labels": [...], "series": [{label, counts}]}'>.
 */
(() => {
  "use strict";

  const MAX_ENTRIES = 600;
  // After a scored (or failed) case the header and the results panels reload, at most once per
  // REFRESH_MS however fast results arrive, and always after the last one.
  const SCORING_EVENTS = new Set(["case_scored", "case_error"]);
  const REFRESH_MS = 1000;
  const PALETTE = ["#1c6fd1", "#d9650b", "#7e3fc2", "#1f8a4c", "#c62828", "#00838f", "#6d4c41", "#ad1457"];

  function resumeAfter(source, seq) {
    const current = Number(source.dataset.lastSeq || 0);
    if (seq <= current) return;
    source.dataset.lastSeq = String(seq);
    const url = new URL(source.getAttribute("sse-connect"), window.location.href);
    url.searchParams.set("last_event_id", String(seq));
    source.setAttribute("sse-connect", url.pathname + url.search);
  }

  function atEnd(list) {
    const scrolls = list.scrollHeight > list.clientHeight + 1;
    return !scrolls || list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  }

  document.addEventListener("htmx:sseBeforeMessage", (event) => {
    const target = event.target;
    const seq = Number(event.detail.lastEventId);
    if (!Number.isInteger(seq) || seq <= 0) return;
    if (seq <= Number(target.dataset.lastSeq || 0) || document.getElementById(`ev-${seq}`)) {
      event.preventDefault();
      return;
    }
    target.dataset.lastSeq = String(seq);
    const source = target.closest("[sse-connect]");
    if (source) resumeAfter(source, seq);
    if (target.id === "transcript") target.dataset.follow = atEnd(target) ? "yes" : "no";
  });

  // htmx's own throttle and delay modifiers hold one timer per element for all its triggers
  // (a throttled trigger would swallow the final run_finished), hence this small scheduler.
  let refreshTimer = null;
  function refreshAfterScores() {
    if (refreshTimer !== null) return;
    refreshTimer = window.setTimeout(() => {
      refreshTimer = null;
      for (const element of document.querySelectorAll("[data-refresh-on-score]")) {
        htmx.trigger(element, "galileo:scored");
      }
    }, REFRESH_MS);
  }

  document.addEventListener("htmx:sseMessage", (event) => {
    const list = event.target;
    if (list.id !== "transcript") return;
    while (list.children.length > MAX_ENTRIES) list.firstElementChild.remove();
    if (list.dataset.follow === "yes") list.scrollTop = list.scrollHeight;
    if (SCORING_EVENTS.has(event.detail.type)) refreshAfterScores();
  });

  function drawHistograms(root) {
    const canvases = [...root.querySelectorAll("canvas[data-histogram]")];
    if (root.matches?.("canvas[data-histogram]")) canvases.push(root);
    const text = getComputedStyle(document.body).color;
    for (const canvas of canvases) {
      if (Chart.getChart(canvas)) continue;
      const data = JSON.parse(canvas.dataset.histogram);
      new Chart(canvas, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: data.series.map((series, index) => ({
            label: series.label,
            data: series.counts,
            backgroundColor: PALETTE[index % PALETTE.length],
          })),
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          color: text,
          scales: {
            x: { title: { display: true, text: "score", color: text }, ticks: { color: text } },
            y: { beginAtZero: true, ticks: { precision: 0, color: text }, title: { display: true, text: "results", color: text } },
          },
        },
      });
    }
  }

  document.addEventListener("htmx:beforeCleanupElement", (event) => {
    if (event.target instanceof HTMLCanvasElement) Chart.getChart(event.target)?.destroy();
  });

  htmx.onLoad(drawHistograms);
})();
