"use strict";
// The change form's conflict table: "用对方的版本" puts the stored version into the field.
document.addEventListener("click", (event) => {
  const button = event.target.closest(".nr-take-theirs");
  if (!button) return;
  const field = document.getElementById("id_" + button.dataset.field);
  const theirs = document.querySelector(`.nr-theirs[data-field="${button.dataset.field}"]`);
  if (!field || !theirs) return;
  field.value = theirs.dataset.empty === "1" ? "" : theirs.textContent;
  field.focus();
});
