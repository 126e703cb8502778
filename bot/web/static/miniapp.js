// The Mini App's stars. Telegram puts the signed initData in the address's fragment
// (#tgWebAppData=...); it is kept for the visit (sessionStorage) because links lose the
// fragment, and sent with every POST: the server checks it, nothing else vouches for the user.
(function () {
  "use strict";
  var KEY = "tgWebAppData";

  // A value of the address's fragment, kept for the visit; else the one kept ("": none).
  function kept(key) {
    var found = new URLSearchParams(window.location.hash.replace(/^#/, "")).get(key) || "";
    try {
      if (found) {
        window.sessionStorage.setItem(key, found);
      } else {
        found = window.sessionStorage.getItem(key) || "";
      }
    } catch (e) {
      // Storage refused: this page still has its fragment.
    }
    return found;
  }

  function initData() {
    return kept(KEY);
  }

  // Telegram's colours (tgWebAppThemeParams, JSON in the fragment), kept for the visit like
  // initData. Only #rrggbb values become CSS variables: nothing else reaches the stylesheet.
  var THEME = "tgWebAppThemeParams";
  var COLOURS = ["bg_color", "text_color", "hint_color", "link_color", "button_color",
    "button_text_color", "secondary_bg_color"];

  function colour(value) {
    return typeof value === "string" && /^#[0-9a-fA-F]{6}$/.test(value) ? value : null;
  }

  function themeParams() {
    try {
      var parsed = JSON.parse(kept(THEME) || "{}");
      return parsed && typeof parsed === "object" ? parsed : {};
    } catch (e) {
      return {};
    }
  }

  function applyTheme(params) {
    var style = document.documentElement.style;
    COLOURS.forEach(function (name) {
      var value = colour(params[name]);
      if (value) {
        style.setProperty("--tg-" + name.replace(/_/g, "-"), value);
      }
    });
  }

  window.miniAppColour = colour;
  applyTheme(themeParams());

  var data = initData();
  var root = document.getElementById("miniapp");
  if (!root) {
    return;
  }
  var status = document.getElementById("miniapp-status");

  function say(text) {
    status.textContent = text;
  }

  function post(url, body) {
    body.initData = data;
    return fetch(url, {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) {
        throw response.status;
      }
      return response.json();
    });
  }

  function failed(code) {
    if (code === 401) {
      say(root.dataset.refused);
    } else if (code === 403) {
      say(root.dataset.unknown);
    } else if (code === 429) {
      say(root.dataset.busy);
    } else {
      say(root.dataset.failed);
    }
  }

  function show(button, starred) {
    button.setAttribute("aria-pressed", starred ? "true" : "false");
    button.querySelector("span").textContent = starred ? root.dataset.unstar : root.dataset.star;
    button.hidden = false;
  }

  function toggle(button) {
    var wanted = button.getAttribute("aria-pressed") !== "true";
    button.disabled = true;
    post(root.dataset.starUrl, { session: button.dataset.session, starred: wanted })
      .then(function (answer) {
        show(button, answer.starred);
        say(answer.starred ? root.dataset.saved : root.dataset.removed);
      })
      .catch(failed)
      .then(function () {
        button.disabled = false;
      });
  }

  if (!data) {
    say(root.dataset.outside);
    return;
  }
  post(root.dataset.starsUrl, {})
    .then(function (answer) {
      var starred = new Set(answer.starred);
      root.querySelectorAll("button.star").forEach(function (button) {
        show(button, starred.has(button.dataset.session));
        button.addEventListener("click", function () {
          toggle(button);
        });
      });
      say(root.dataset.ready);
    })
    .catch(failed);
})();
