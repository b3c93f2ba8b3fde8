// The source picker: type-ahead search of the registry, or a new source (name, kind, side)
// created in place. open() resolves with the chosen source, or null when cancelled.

export class SourcePicker {
  constructor({ dialog, csrf, url, sides, remember }) {
    Object.assign(this, { dialog, csrf, url, remember });
    this.query = dialog.querySelector("#source-query");
    this.list = dialog.querySelector("#source-results");
    this.search = dialog.querySelector("#source-search");
    this.form = dialog.querySelector("#source-create");
    this.error = dialog.querySelector("#new-error");
    const sideSelect = dialog.querySelector("#new-side");
    for (const side of sides) sideSelect.append(new Option(side.name, side.id));
    this.results = [];
    this.active = 0;
    this.sequence = 0;
    this.timer = null;
    this.resolve = null;

    this.query.addEventListener("input", () => this.scheduleSearch());
    this.query.addEventListener("keydown", (event) => this.onKey(event));
    this.list.addEventListener("click", (event) => {
      const option = event.target.closest("[role=option]");
      if (option) this.choose(Number(option.dataset.index));
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.create();
    });
    dialog.querySelector("#new-back").addEventListener("click", () => this.showSearch());
    // A touch screen has no Esc key: these close the picker without a source, as Esc does.
    for (const id of ["#source-cancel", "#new-cancel"]) dialog.querySelector(id).addEventListener("click", () => this.finish(null));
    // Escape closes the picker without a source. The close event comes a task after close(): by
    // then a quick "p" may have opened the picker again, and that new opening must stay open.
    dialog.addEventListener("close", () => {
      if (!this.dialog.open) this.finish(null);
    });
  }

  open({ query = "", kind = null } = {}) {
    this.suggestedKind = kind;
    this.options = [];
    this.list.replaceChildren();
    this.showSearch();
    this.query.value = query;
    this.dialog.showModal();
    this.query.focus();
    this.query.select();
    this.searching = this.runSearch();
    return new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  finish(source) {
    const resolve = this.resolve;
    this.resolve = null;
    if (this.dialog.open) this.dialog.close();
    if (resolve) resolve(source);
  }

  showSearch() {
    this.form.hidden = true;
    this.search.hidden = false;
    this.error.textContent = "";
    this.query.focus();
  }

  scheduleSearch() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.searching = this.runSearch();
    }, 120);
  }

  async runSearch() {
    const sequence = ++this.sequence;
    const text = this.query.value.trim();
    let results = [];
    let failed = false;
    try {
      const response = await fetch(`${this.url}?search=${encodeURIComponent(text)}`, {
        credentials: "same-origin", headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const payload = await response.json();
      results = payload.results || payload;
    } catch (error) {
      failed = true;
    }
    if (sequence !== this.sequence) return; // a newer search is on its way
    this.results = results.slice(0, 12);
    this.active = 0;
    this.render(text, failed);
  }

  render(text, failed) {
    this.list.replaceChildren();
    const options = [...this.results.map((source) => ({ source })), { create: text }];
    options.forEach((option, index) => {
      const item = document.createElement("li");
      item.id = `source-option-${index}`;
      item.setAttribute("role", "option");
      item.dataset.index = index;
      if (option.source) {
        const { name, kind, side_name: side, aliases } = option.source;
        const strong = document.createElement("strong");
        strong.textContent = name;
        const aliasText = aliases && aliases.length ? ` · also ${aliases.map((a) => a.name || a).join(", ")}` : "";
        item.append(strong, ` — ${kind}${side ? `, ${side}` : ""}${aliasText}`);
      } else {
        item.className = "create";
        item.textContent = text ? `＋ Create “${text}” as a new source…` : "＋ Create a new source…";
      }
      this.list.append(item);
    });
    if (failed) {
      const item = document.createElement("li");
      item.className = "error";
      item.textContent = "The registry could not be searched (offline?); try again or create the source.";
      this.list.prepend(item);
    }
    this.options = options;
    this.highlight();
  }

  highlight() {
    for (const item of this.list.querySelectorAll("[role=option]")) {
      const selected = Number(item.dataset.index) === this.active;
      item.setAttribute("aria-selected", String(selected));
      if (selected) item.scrollIntoView({ block: "nearest" });
    }
    this.query.setAttribute("aria-activedescendant", `source-option-${this.active}`);
  }

  onKey(event) {
    const count = (this.options || []).length;
    if (event.key === "ArrowDown") this.active = Math.min(count - 1, this.active + 1);
    else if (event.key === "ArrowUp") this.active = Math.max(0, this.active - 1);
    else if (event.key === "Enter") {
      event.preventDefault();
      this.chooseWhenReady();
      return;
    } else return;
    event.preventDefault();
    this.highlight();
  }

  // Enter right after typing: wait for the search of what was typed, then take the active option.
  async chooseWhenReady() {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.searching = this.runSearch();
    }
    await this.searching;
    this.choose(this.active);
  }

  choose(index) {
    const option = (this.options || [])[index];
    if (!option) return;
    if (option.source) {
      this.remember(option.source);
      this.finish(option.source);
      return;
    }
    this.search.hidden = true;
    this.form.hidden = false;
    this.form.elements.name.value = this.query.value.trim();
    if (this.suggestedKind) this.form.elements.kind.value = this.suggestedKind;
    this.form.elements.name.focus();
  }

  async create() {
    const elements = this.form.elements;
    const body = {
      name: elements.name.value.trim(), kind: elements.kind.value,
      side: elements.side.value ? Number(elements.side.value) : null,
      aliases: elements.aliases.value.split(",").map((a) => a.trim()).filter(Boolean),
    };
    this.error.textContent = "";
    try {
      const response = await fetch(this.url, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": this.csrf },
        body: JSON.stringify(body),
      });
      const payload = await response.json().catch(() => ({}));
      if (!response.ok) {
        this.error.textContent = Object.entries(payload).map(([key, value]) => `${key}: ${[].concat(value).join(" ")}`).join("; ")
          || `The source was not created (HTTP ${response.status}).`;
        return;
      }
      const source = { ...payload };
      if (!source.side_name && body.side) {
        const option = elements.side.selectedOptions[0];
        source.side_name = option ? option.textContent : null;
      }
      this.remember(source);
      this.finish(source);
    } catch (error) {
      this.error.textContent = "The source was not created: the server cannot be reached. Try again.";
    }
  }
}
