/* The admins' people pages: ask before a change that cannot be undone, and copy a secret that
   is shown once. The pages work without it; nothing here talks to the server. */
(() => {
  "use strict";

  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }

  const copy = document.getElementById("copy");
  if (copy && navigator.clipboard) {
    const source = document.getElementById(copy.dataset.copy);
    const said = document.getElementById("copied");
    copy.hidden = false;
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        said.textContent = "Copied.";
      } catch (error) {
        said.textContent = "Copying was refused: select the text and copy it by hand.";
      }
    });
  }
})();
