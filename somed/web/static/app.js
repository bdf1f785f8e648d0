// somed web: small enhancements only; every flow works without this file.
// Buttons with data-confirm ask before their form is sent.
for (const button of document.querySelectorAll("[data-confirm]")) {
  button.addEventListener("click", (event) => {
    if (!window.confirm(button.dataset.confirm)) event.preventDefault();
  });
}
// Selecting every row of a bulk form: a checkbox with data-select-all="NAME".
for (const box of document.querySelectorAll("[data-select-all]")) {
  box.addEventListener("change", () => {
    for (const row of document.querySelectorAll(`input[name="${box.dataset.selectAll}"]`)) {
      row.checked = box.checked;
    }
  });
}
