/*
 * curiouscore.js: after each page load or htmx swap of the play panel, the conversation is
 * scrolled to its latest message and the answer field takes the focus.
 */
(() => {
  "use strict";

  function follow(root) {
    const play = root.id === "play" ? root : root.querySelector("#play");
    if (!play) return;
    const latest = play.querySelector("#transcript > li:last-child");
    if (latest && root !== document.body) latest.scrollIntoView({ block: "nearest" });
    const field = play.querySelector(".answer textarea");
    if (field && root !== document.body) field.focus();
  }

  htmx.onLoad(follow);
})();
