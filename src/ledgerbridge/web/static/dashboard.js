// Live fragments and keyboard review; the pages work without this file.
"use strict";

// <div data-poll="/connections/table" data-every="5">: replace the contents every few seconds.
function startPolling(box) {
  const every = Number(box.dataset.every || 5) * 1000;
  const tick = async () => {
    try {
      const answer = await fetch(box.dataset.poll, {credentials: "same-origin"});
      if (answer.redirected || !answer.ok) return;  // logged out: stop, the next click logs in
      box.innerHTML = await answer.text();
      box.dataset.refreshed = String(Date.now());
    } catch (err) {
      // the server is restarting: try again on the next tick
    }
    setTimeout(tick, every);
  };
  setTimeout(tick, every);
}

// <table data-keys>: j/k move between rows with data-row; a key presses the row's
// button with the same data-key (a accept, r reject, u undo).
function startKeys(table) {
  const rows = () => Array.from(table.querySelectorAll("[data-row]"));
  const memory = "focus:" + location.pathname + location.search;
  let index = Math.min(Number(sessionStorage.getItem(memory) || 0), rows().length - 1);
  const show = () => {
    rows().forEach((row, i) => row.classList.toggle("focused", i === index));
    const row = rows()[index];
    if (row) { row.focus({preventScroll: true}); row.scrollIntoView({block: "nearest"}); }
    sessionStorage.setItem(memory, String(Math.max(index, 0)));
  };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(event.target.tagName)) return;  // typing
    const count = rows().length;
    if (!count) return;
    if (event.key === "j") index = Math.min(index + 1, count - 1);
    else if (event.key === "k") index = Math.max(index - 1, 0);
    else {
      const button = rows()[index] && rows()[index].querySelector(`button[data-key="${event.key}"]`);
      if (button) { event.preventDefault(); button.click(); }
      return;
    }
    event.preventDefault();
    show();
  });
  table.addEventListener("click", (event) => {
    const row = event.target.closest("[data-row]");
    if (row) { index = rows().indexOf(row); show(); }
  });
  if (rows().length) show();
}

document.querySelectorAll("[data-poll]").forEach(startPolling);
document.querySelectorAll("[data-keys]").forEach(startKeys);
