// Progressive enhancement only: the site works without this file.
// "/" focuses the search box; copy buttons copy citations.
const input = document.querySelector("[data-search-input]");
document.addEventListener("keydown", (e) => {
  if (e.key === "/" && input && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement?.tagName || "")) {
    e.preventDefault();
    input.focus();
  }
});
for (const btn of document.querySelectorAll("button[data-copy]")) {
  btn.hidden = false;
  btn.addEventListener("click", async () => {
    const el = document.getElementById(btn.dataset.copy);
    if (!el || !navigator.clipboard) return;
    await navigator.clipboard.writeText(el.innerText.trim());
    const label = btn.textContent;
    btn.textContent = "✓";
    setTimeout(() => { btn.textContent = label; }, 1500);
  });
}
