// Maillage — birthplace picker: typing a commune (or country) name proposes places, choosing
// one fills the INSEE code. ARIA 1.2 combobox with a listbox popup; no inline script (CSP).
// Without JavaScript the form still works: the exact name or the code is typed.
(function () {
  "use strict";

  var DELAY = 200;

  function setUp(input) {
    var url = input.getAttribute("data-birthplace-search");
    var code = input.form && input.form.querySelector("[data-birthplace-code]");
    if (!url || !code) {
      return;
    }
    var help = document.getElementById(code.id + "_help");
    var listId = input.id + "_list";
    var list = document.createElement("ul");
    list.id = listId;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Lieux de naissance proposés");
    list.className = "list-group position-absolute w-100 shadow-sm overflow-auto birthplace-list";
    list.hidden = true;
    var status = document.createElement("div");
    status.setAttribute("role", "status");
    status.className = "visually-hidden";
    var wrapper = document.createElement("div");
    wrapper.className = "position-relative";
    input.parentNode.insertBefore(wrapper, input);
    wrapper.appendChild(input);
    wrapper.appendChild(list);
    wrapper.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    var results = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      options.forEach(function (option, i) {
        var on = i === index;
        option.classList.toggle("active", on);
        option.setAttribute("aria-selected", on ? "true" : "false");
        if (on) {
          input.setAttribute("aria-activedescendant", option.id);
          option.scrollIntoView({ block: "nearest" });
        }
      });
      active = index;
    }

    function choose(index) {
      var place = results[index];
      if (!place) {
        return;
      }
      input.value = place.name;
      code.value = place.code;
      if (help) {
        help.textContent = place.code + " : " + place.label + ".";
      }
      status.textContent = "Lieu de naissance choisi : " + place.label + ", code " + place.code;
      close();
    }

    function show(places) {
      results = places;
      list.textContent = "";
      places.forEach(function (place, i) {
        var option = document.createElement("li");
        option.id = listId + "_" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.className = "list-group-item list-group-item-action";
        var name = document.createElement("strong");
        name.textContent = place.name;
        var detail = document.createElement("span");
        detail.className = "d-block small";
        detail.textContent = [place.department, place.status, "code " + place.code].join(" — ");
        option.appendChild(name);
        option.appendChild(detail);
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the input
          choose(i);
        });
        list.appendChild(option);
      });
      if (places.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        status.textContent = places.length + (places.length > 1 ? " lieux proposés" : " lieu proposé")
          + " : flèches haut et bas pour parcourir, Entrée pour choisir.";
      } else {
        close();
        status.textContent = "Aucun lieu de naissance ne correspond.";
      }
      active = -1;
    }

    function ask() {
      var query = input.value.trim();
      if (query.length < 2) {
        close();
        return;
      }
      var ticket = ++asked;
      fetch(url + "?q=" + encodeURIComponent(query), {
        headers: { Accept: "application/json" }, credentials: "same-origin",
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (data) {
          if (ticket === asked) {
            show(data.results || []);
          }
        })
        .catch(function () {
          if (ticket === asked) {
            close();
            status.textContent = "Recherche indisponible : saisissez le code INSEE.";
          }
        });
    }

    input.addEventListener("input", function () {
      // The code typed or chosen before no longer matches what is being typed.
      code.value = "";
      if (help) {
        help.textContent = "Choisissez le lieu dans la liste pour remplir le code.";
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && results.length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) {
          ask();
          return;
        }
        highlight(active + 1 >= results.length ? 0 : active + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (open) {
          highlight(active <= 0 ? results.length - 1 : active - 1);
        }
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault(); // choose, do not submit the form
          choose(active);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        }
      }
    });

    input.addEventListener("blur", close);
  }

  function init() {
    document.querySelectorAll("input[data-birthplace-search]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
