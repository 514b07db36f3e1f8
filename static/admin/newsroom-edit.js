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

// Who else has this story open (articles/admin/presence.py): a heartbeat while the form is open.
// Admin media scripts load in <head>: wait for the form.
document.addEventListener("DOMContentLoaded", () => {
  const banner = document.querySelector(".nr-presence[data-url]");
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (!banner || !token) return;
  const names = banner.querySelector(".nr-presence-names");
  const ping = async () => {
    try {
      const response = await fetch(banner.dataset.url, {
        method: "POST", headers: {"X-CSRFToken": token.value}, credentials: "same-origin"});
      if (!response.ok) return 30;
      const answer = await response.json();
      names.textContent = answer.others.join("、");
      banner.hidden = answer.others.length === 0;
      return answer.ping;
    } catch (error) {
      return 30;
    }
  };
  const loop = async () => { setTimeout(loop, (await ping()) * 1000); };
  setTimeout(loop, 30000);
});
