// The flag dialog: a reviewer reports that the current sentence, or the whole article, is a
// problem (bad split, not news, duplicate, other with a note), or withdraws their open flag.
// open() resolves with {flag} after flagging, {withdrawn: flag} after withdrawing, or null.

export class FlagDialog {
  constructor({ dialog, csrf, url }) {
    Object.assign(this, { dialog, csrf, url });
    this.form = dialog.querySelector("#flag-form");
    this.error = dialog.querySelector("#flag-error");
    this.withdrawButton = dialog.querySelector("#flag-withdraw");
    this.resolve = null;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.form.addEventListener("change", (event) => {
      if (event.target.name === "target") this.fill();
    });
    this.withdrawButton.addEventListener("click", () => this.withdraw());
    dialog.querySelector("#flag-cancel").addEventListener("click", () => this.finish(null));
    // Escape closes the dialog without a result. The close event comes a task after close(): by
    // then a quick "f" may have opened the dialog again, and that new opening must stay open.
    dialog.addEventListener("close", () => {
      if (!this.dialog.open) this.finish(null);
    });
  }

  // sentence: {id, number} of the current sentence (or null); existing: {sentence: flag|null, article: flag|null},
  // the reviewer's open flags on that sentence and on the whole article.
  open({ articleId, sentence, existing }) {
    Object.assign(this, { articleId, sentence, existing });
    const sentenceChoice = this.form.elements.target[0];
    sentenceChoice.disabled = !sentence;
    this.dialog.querySelector("#flag-sentence-label").textContent = sentence ? `Sentence ${sentence.number}` : "No sentence chosen";
    this.form.elements.target.value = sentence && !(existing.article && !existing.sentence) ? "sentence" : "article";
    this.fill();
    this.dialog.showModal();
    this.form.querySelector('input[name="reason"]:checked').focus();
    return new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  target() {
    return this.form.elements.target.value;
  }

  current() {
    return this.target() === "sentence" ? this.existing.sentence : this.existing.article;
  }

  // Show the open flag of the chosen target, if any, so that it can be changed or withdrawn.
  fill() {
    const flag = this.current();
    this.form.elements.reason.value = flag ? flag.reason : this.form.elements.reason[0].value;
    this.form.elements.note.value = flag ? flag.note : "";
    this.withdrawButton.hidden = !flag;
    this.form.querySelector('button[type="submit"]').textContent = flag ? "Change flag" : "Flag";
    this.error.textContent = "";
  }

  finish(result) {
    const resolve = this.resolve;
    this.resolve = null;
    if (this.dialog.open) this.dialog.close();
    if (resolve) resolve(result);
  }

  async request(method, url, body) {
    const response = await fetch(url, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": this.csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const payload = response.status === 204 ? null : await response.json().catch(() => ({}));
    if (!response.ok) {
      const text = payload && typeof payload === "object"
        ? Object.entries(payload).map(([key, value]) => `${key}: ${[].concat(value).join(" ")}`).join("; ")
        : "";
      throw new Error(text || `HTTP ${response.status}`);
    }
    return payload;
  }

  async send() {
    const elements = this.form.elements;
    const body = {
      article: this.articleId,
      sentence: this.target() === "sentence" ? this.sentence.id : null,
      reason: elements.reason.value,
      note: elements.note.value.trim(),
    };
    if (body.reason === "other" && !body.note) {
      this.error.textContent = "Say what the problem is in the note.";
      elements.note.focus();
      return;
    }
    try {
      this.finish({ flag: await this.request("POST", this.url, body) });
    } catch (error) {
      this.error.textContent = `Not flagged: ${error.message === "Failed to fetch" ? "the server cannot be reached" : error.message}`;
    }
  }

  async withdraw() {
    const flag = this.current();
    if (!flag) return;
    try {
      await this.request("DELETE", `${this.url}${flag.id}/`);
      this.finish({ withdrawn: flag });
    } catch (error) {
      this.error.textContent = `Not withdrawn: ${error.message}`;
    }
  }
}
