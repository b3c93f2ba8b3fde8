// The keyboard-first annotation page: labels, source and cue spans, the source picker, notes,
// suggestions, undo/redo, flags, autosave through the REST API, submit, and the disagreements
// after submitting. Keys always act on the current sentence, whatever was clicked last.
import { FlagDialog } from "./flagdialog.js";
import { SaveQueue } from "./savequeue.js";
import { SourcePicker } from "./sourcepicker.js";
import { wordsOf, spanFromWords, wordsFromSpan, selectionSpan } from "./spans.js";
import { UndoHistory } from "./undo.js";

const state = JSON.parse(document.getElementById("annotate-state").textContent);
const $ = (id) => document.getElementById(id);
const labelName = Object.fromEntries(state.labels.map((l) => [l.value, l.name]));
const labelByKey = Object.fromEntries(state.labels.map((l) => [l.key, l.value]));
const sentences = state.sentences;
const byId = new Map(sentences.map((s) => [s.id, s]));
const reviewable = sentences.filter((s) => s.reviewable);
const sources = new Map(Object.entries(state.sources).map(([id, s]) => [Number(id), s]));
// Submitted work, and every mark of a retired article, is read-only here (the server refuses changes).
const locked = Boolean(state.assignment && state.assignment.submitted) || Boolean(state.retired);

const FIELDS = ["label", "source", "source_span", "cue_span", "note", "from_suggestion", "suggestion_version"];
const local = new Map(); // sentence id -> the mark as the reviewer sees it (saved, queued or a draft)
const saved = new Map(); // sentence id -> {id, version} of the stored annotation
const problems = new Map(); // sentence id -> message of a refused or conflicting save
const committed = new Map(); // sentence id -> the mark last sent to the server (undo's "before")
const undo = new UndoHistory();
let flags = state.flags.slice(); // the reviewer's flags on this article, oldest first
let current = 0; // index into `reviewable`
let spanMode = null; // {kind: "source"|"cue", sid, words, first, last}
let noteTimer = null;

function blankMark() {
  return { label: null, source: null, source_span: null, cue_span: null, note: "", from_suggestion: false, suggestion_version: "" };
}

function markOf(annotation) {
  const mark = blankMark();
  for (const field of FIELDS) if (annotation[field] !== undefined) mark[field] = annotation[field];
  if (mark.note === null) mark.note = "";
  if (mark.suggestion_version === null) mark.suggestion_version = "";
  return mark;
}

for (const [sid, annotation] of Object.entries(state.annotations)) {
  local.set(Number(sid), markOf(annotation));
  committed.set(Number(sid), markOf(annotation));
  saved.set(Number(sid), { id: annotation.id, version: annotation.version });
}

const queue = new SaveQueue({
  storageKey: `sourcemark:pending:${state.user.id}`,
  csrf: state.csrf,
  url: state.urls.annotations,
  onSaved(sid, annotation) {
    problems.delete(sid);
    if (annotation) saved.set(sid, { id: annotation.id, version: annotation.version });
    else saved.delete(sid);
    if (byId.has(sid)) renderSentence(sid);
  },
  onConflict(sid, currentValue, detail) {
    if (currentValue) {
      local.set(sid, markOf(currentValue));
      committed.set(sid, markOf(currentValue));
      saved.set(sid, { id: currentValue.id, version: currentValue.version });
    } else {
      local.delete(sid);
      committed.delete(sid);
      saved.delete(sid);
    }
    undo.forget(sid);
    problems.set(sid, `Changed elsewhere (${detail}); showing the stored value.`);
    if (byId.has(sid)) renderSentence(sid);
  },
  onRejected(sid, errors) {
    // What the server keeps is unknown here: the next change is sent whatever it is.
    committed.delete(sid);
    undo.forget(sid);
    problems.set(sid, `Not saved: ${describeErrors(errors)}`);
    if (byId.has(sid)) renderSentence(sid);
  },
  onChange: renderSaveStatus,
});

// Unsaved changes from an earlier visit (or another article) are newer than the page: apply them.
for (const [sid, entry] of queue.pending) {
  if (!byId.has(sid)) continue;
  if (entry.desired === null) {
    local.delete(sid);
    committed.delete(sid);
  } else {
    local.set(sid, markOf(entry.desired));
    committed.set(sid, markOf(entry.desired));
  }
}

function describeErrors(errors) {
  if (typeof errors === "string") return errors;
  return Object.entries(errors).map(([key, value]) => `${key}: ${[].concat(value).join(" ")}`).join("; ");
}

// ---- saving ------------------------------------------------------------------------------------

function savable(mark) {
  return mark && mark.label && !(mark.label === "attribution" && !mark.source);
}

function sameMark(a, b) {
  if (!a || !b) return a === b;
  return FIELDS.every((field) => JSON.stringify(a[field]) === JSON.stringify(b[field]));
}

// Send the sentence's mark (or, with `mark` null, its removal) through the save queue. Unless this
// is an undo or redo itself, the change is remembered for undo.
function send(sid, mark, { record = true } = {}) {
  const before = committed.get(sid) || null;
  if (sameMark(before, mark)) return;
  const stored = saved.get(sid);
  if (mark === null) {
    if (stored || queue.pending.has(sid)) queue.set(sid, { desired: null, id: stored ? stored.id : null, version: stored ? stored.version : null });
    committed.delete(sid);
  } else {
    const desired = {};
    for (const field of FIELDS) desired[field] = mark[field];
    queue.set(sid, { desired, id: stored ? stored.id : null, version: stored ? stored.version : null });
    committed.set(sid, markOf(desired));
  }
  problems.delete(sid);
  if (record) undo.record(sid, before, mark);
}

function commit(sid) {
  const mark = local.get(sid);
  renderSentence(sid);
  if (!savable(mark)) {
    renderSaveStatus(queue.summary()); // a draft the server does not keep: the pill says so
    return;
  }
  send(sid, mark);
  renderSentence(sid);
}

function clearMark(sid) {
  local.delete(sid);
  send(sid, null);
  renderSentence(sid);
  renderSaveStatus(queue.summary());
}

// Undo (or redo) the last change: the sentence gets its earlier (or later) mark back through the
// normal save path, so the server keeps the undo in the mark's history like any other change.
function step(direction) {
  const change = direction === "undo" ? undo.undo() : undo.redo();
  if (!change) {
    announce(direction === "undo" ? "Nothing to undo." : "Nothing to redo.");
    return;
  }
  const mark = direction === "undo" ? change.before : change.after;
  if (mark) local.set(change.sid, markOf(mark));
  else local.delete(change.sid);
  send(change.sid, mark, { record: false });
  const index = reviewable.findIndex((s) => s.id === change.sid);
  if (index >= 0 && index !== current) go(index);
  renderSentence(change.sid);
  const sentence = byId.get(change.sid);
  const what = mark && mark.label ? labelName[mark.label] : "no mark";
  announce(`${direction === "undo" ? "Undone" : "Redone"}: sentence ${sentence.number} is back to ${what}.`);
}

function announce(text) {
  $("announce").textContent = text;
}

function edit(sid, changes, { keepSuggestion = false } = {}) {
  const mark = { ...(local.get(sid) || blankMark()), ...changes };
  if (!keepSuggestion && ("label" in changes || "source_span" in changes || "cue_span" in changes || "source" in changes)) {
    mark.from_suggestion = false;
    mark.suggestion_version = "";
  }
  local.set(sid, mark);
  commit(sid);
}

function renderSaveStatus(summary) {
  const status = $("save-status");
  const waiting = summary.pending + (summary.inflight && !summary.pending ? summary.inflight : 0);
  const drafts = draftCounts();
  let text = "All changes saved";
  let stateName = "saved";
  if (summary.error && summary.pending) {
    stateName = "error";
    const seconds = summary.retryInMs === null ? 0 : Math.ceil(summary.retryInMs / 1000);
    // Signing in again gives a new CSRF token, which this page does not take on its own (had
    // someone else signed in meanwhile, it must not save this reviewer's marks as theirs): the
    // reload after signing in sends the kept changes.
    const why = summary.error === "auth" ? "signed out? sign in again, then reload this page" : summary.error === "network" ? "offline" : summary.error;
    text = `Not saved (${why}): ${summary.pending} change(s) kept, retrying${seconds ? ` in ${seconds} s` : ""}`;
  } else if (waiting) {
    stateName = "saving";
    text = `Saving ${waiting} change(s)…`;
  } else if (drafts.some(Boolean)) {
    stateName = "draft";
    const [needSource, needLabel] = drafts;
    const waiting = [];
    if (needSource) waiting.push(needSource === 1 ? "an attribution waits for its source" : `${needSource} attributions wait for their source`);
    if (needLabel) waiting.push(needLabel === 1 ? "a note or span waits for its label" : `${needLabel} notes or spans wait for their label`);
    text = `Saved · ${waiting.join(" · ")}`;
  }
  status.dataset.state = stateName;
  status.textContent = text;
  renderProgress();
}

setInterval(() => {
  if (queue.retryAt) renderSaveStatus(queue.summary());
}, 1000);

// The reviewer's flag of a sentence (sid) or of the whole article (sid null): the newest open one,
// else the newest resolved one.
function flagOf(sid) {
  const mine = flags.filter((flag) => flag.sentence === sid);
  return mine.filter((flag) => !flag.resolved).pop() || mine.pop() || null;
}

function openFlagOf(sid) {
  const flag = flagOf(sid);
  return flag && !flag.resolved ? flag : null;
}

// The same rule as the server's Sentence.left_for: a sentence is done when marked or flagged, and
// a flagged article is done as a whole.
function leftToDo() {
  if (flagOf(null)) return 0;
  return reviewable.filter((s) => !savable(local.get(s.id)) && !flagOf(s.id)).length;
}

// What the page holds but cannot save yet: a mark without a label keeps nothing on the server,
// however much it holds (a note, spans, a source).
function unlabelledContent(mark) {
  return Boolean(mark && !mark.label && (mark.note || mark.source || mark.source_span || mark.cue_span));
}

// [attributions waiting for a source, notes or spans waiting for a label] on this page.
function draftCounts() {
  const counts = [0, 0];
  for (const [sid, mark] of local) {
    if (!byId.has(sid) || savable(mark)) continue;
    if (mark.label) counts[0] += 1;
    else if (unlabelledContent(mark)) counts[1] += 1;
  }
  return counts;
}

// ---- rendering ---------------------------------------------------------------------------------

function sentenceElement(sid) {
  return document.querySelector(`.sent[data-id="${sid}"]`);
}

function sourceLabel(id) {
  if (!id) return "—";
  const source = sources.get(id);
  if (!source) return `source #${id}`;
  const side = source.side_name ? `, ${source.side_name}` : "";
  return `${source.name} (${source.kind}${side})`;
}

function spanText(sentence, span) {
  return span ? `“${sentence.text.slice(span[0], span[1])}”` : "—";
}

function othersBySentence() {
  const grouped = new Map();
  for (const other of state.others || []) {
    if (!grouped.has(other.sentence)) grouped.set(other.sentence, []);
    grouped.get(other.sentence).push(other);
  }
  return grouped;
}
const others = othersBySentence();

function disagrees(sid) {
  const mine = local.get(sid);
  return (others.get(sid) || []).some((other) => !mine || other.label !== mine.label);
}

function renderSentence(sid) {
  const element = sentenceElement(sid);
  const sentence = byId.get(sid);
  if (!element || !sentence.reviewable) return;
  const mark = local.get(sid);
  const badge = element.querySelector("[data-badge]");
  const suggestion = state.suggestions[sid];
  badge.className = "badge";
  element.classList.toggle("marked", Boolean(savable(mark)));
  element.classList.toggle("draft", Boolean(mark && mark.label && !savable(mark)));
  element.classList.toggle("problem", problems.has(sid));
  element.classList.toggle("disagree", state.others !== null && disagrees(sid));
  const flag = flagOf(sid);
  element.classList.toggle("flagged", Boolean(flag));
  if (mark && mark.label) {
    badge.classList.add("label", `label-${mark.label}`);
    badge.textContent = savable(mark) ? labelName[mark.label] : `${labelName[mark.label]}: needs a source`;
    if (queue.pending.has(sid)) badge.classList.add("unsaved");
  } else if (flag) {
    badge.classList.add("flag-badge");
    badge.textContent = `flagged: ${flag.reason_name}`;
  } else if (suggestion && !locked) {
    // Pre-filled only when the model is sure enough (right >= 95 % on held-out articles); else a hint.
    badge.classList.add("ghost", `ghost-${suggestion.label}`, ...(suggestion.prefill ? [] : ["hint"]));
    badge.textContent = suggestion.prefill ? `suggested: ${labelName[suggestion.label]}` : `hint: ${labelName[suggestion.label]}?`;
  } else {
    badge.textContent = "";
  }
  if (flag && mark && mark.label) badge.textContent += " · flagged";
  if (state.others !== null && disagrees(sid)) badge.textContent += " ≠";
  if (reviewable[current] && reviewable[current].id === sid) renderPanel();
}

function renderProgress() {
  const marked = reviewable.filter((s) => savable(local.get(s.id))).length;
  const flagged = reviewable.filter((s) => flagOf(s.id)).length;
  $("progress").value = marked;
  $("progress").max = reviewable.length;
  let text = `${marked} / ${reviewable.length} sentences marked`;
  if (flagOf(null)) text += " · article flagged";
  else if (flagged) text += ` · ${flagged} flagged`;
  $("progress-text").textContent = text;
  const button = $("submit-button");
  if (button && !locked) {
    const left = leftToDo();
    button.disabled = left > 0;
    $("submit-message").textContent = left === 0
      ? "Every sentence is marked or flagged: submit to see where the other reviewers disagree."
      : `${left} sentence(s) left to mark (or flag).`;
  }
}

function renderCurrentText(sentence, mark) {
  const target = $("cur-text");
  target.replaceChildren();
  const marks = [];
  const editing = spanMode && spanMode.sid === sentence.id;
  if (editing) {
    marks.push({ span: spanFromWords(spanMode.words, spanMode.first, spanMode.last), cls: `span-edit span-${spanMode.kind}`, name: spanMode.kind });
  }
  if (mark && mark.source_span && !(editing && spanMode.kind === "source")) marks.push({ span: mark.source_span, cls: "span-source", name: "source" });
  if (mark && mark.cue_span && !(editing && spanMode.kind === "cue")) marks.push({ span: mark.cue_span, cls: "span-cue", name: "cue" });
  const suggestion = state.suggestions[sentence.id];
  if (!editing && !locked && !(mark && mark.label) && suggestion && suggestion.prefill) {
    // a pre-filled suggestion shows its spans, ready for Enter
    if (suggestion.source_span) marks.push({ span: suggestion.source_span, cls: "span-source span-suggested", name: "suggested source" });
    if (suggestion.cue_span) marks.push({ span: suggestion.cue_span, cls: "span-cue span-suggested", name: "suggested cue" });
  }
  marks.sort((a, b) => a.span[0] - b.span[0]);
  let at = 0;
  for (const item of marks) {
    const [start, end] = item.span;
    if (start < at) continue; // overlapping spans: show the first one only
    target.append(sentence.text.slice(at, start));
    const element = document.createElement("mark");
    element.className = item.cls;
    element.textContent = sentence.text.slice(start, end);
    element.title = `${item.name} span`;
    target.append(element);
    at = end;
  }
  target.append(sentence.text.slice(at));
}

function renderPanel() {
  const sentence = reviewable[current];
  if (!sentence) return;
  const mark = local.get(sentence.id);
  const suggestion = state.suggestions[sentence.id];
  $("cur-pos").textContent = `${sentence.number} of ${reviewable.length}`;
  renderCurrentText(sentence, mark);
  for (const button of document.querySelectorAll(".label-button")) {
    const pressed = Boolean(mark && mark.label === button.dataset.label);
    button.setAttribute("aria-pressed", String(pressed));
    button.disabled = locked;
  }
  $("cur-source").textContent = sourceLabel(mark && mark.source);
  $("cur-source-span").textContent = spanText(sentence, mark && mark.source_span);
  $("cur-cue-span").textContent = spanText(sentence, mark && mark.cue_span);
  for (const button of document.querySelectorAll("[data-action]")) button.disabled = locked;
  const note = $("note");
  if (document.activeElement !== note) note.value = (mark && mark.note) || "";
  note.disabled = locked;

  const box = $("suggestion");
  if (suggestion && !locked && !(mark && mark.label)) {
    box.hidden = false;
    const parts = [`Suggested: ${labelName[suggestion.label]}`];
    if (suggestion.confidence !== null && suggestion.confidence !== undefined) parts.push(`${Math.round(suggestion.confidence * 100)}% sure`);
    if (suggestion.source_name) parts.push(`source ${suggestion.source_name}${suggestion.source_id ? "" : " (not in the registry yet)"}`);
    if (suggestion.cue_span) parts.push(`cue ${spanText(sentence, suggestion.cue_span)}`);
    box.className = `suggestion ghost-${suggestion.label}${suggestion.prefill ? "" : " hint"}`;
    box.textContent = suggestion.prefill
      ? `${parts.join(" · ")} — press Enter to accept`
      : `Hint, not pre-filled (too unsure): ${parts.join(" · ").replace("Suggested: ", "")} — choose a label with 1–4`;
  } else {
    box.hidden = true;
  }

  const flag = flagOf(sentence.id) || flagOf(null);
  const flagLine = $("cur-flag");
  flagLine.hidden = !flag;
  if (flag) {
    const what = flag.sentence ? "You flagged this sentence" : "You flagged the whole article";
    const outcome = flag.resolved ? ` — resolved${flag.resolution ? `: ${flag.resolution}` : ""}` : " (f to change or withdraw)";
    flagLine.textContent = `${what}: ${flag.reason_name}${flag.note ? ` (“${flag.note}”)` : ""}${outcome}`;
  }

  let message = problems.get(sentence.id) || "";
  if (!message && mark && mark.label && !savable(mark)) message = "Attribution: choose a source (p) to save it.";
  else if (!message && unlabelledContent(mark)) {
    const held = [];
    if (mark.source) held.push("the source");
    if (mark.source_span || mark.cue_span) held.push("the spans");
    if (mark.note) held.push("the note");
    message = `Not saved: choose a label (1–4) to save ${held.join(" and ")}.`;
  }
  else if (!message && savable(mark)) message = queue.pending.has(sentence.id) ? "Saving…" : "Saved.";
  $("cur-state").textContent = message;
  $("cur-state").classList.toggle("error", problems.has(sentence.id));

  const othersBox = $("others");
  const theirs = others.get(sentence.id) || [];
  othersBox.hidden = state.others === null;
  if (state.others !== null) {
    othersBox.replaceChildren();
    const heading = document.createElement("h3");
    heading.textContent = "Other reviewers";
    othersBox.append(heading);
    const list = document.createElement("ul");
    if (!theirs.length) {
      const item = document.createElement("li");
      item.textContent = "nobody else has marked this sentence";
      list.append(item);
    }
    for (const other of theirs) {
      const item = document.createElement("li");
      const differs = !mark || other.label !== mark.label;
      item.className = differs ? "differs" : "agrees";
      const badge = document.createElement("span");
      badge.className = `label label-${other.label}`;
      badge.textContent = labelName[other.label];
      item.append(`${other.reviewer}: `, badge);
      if (other.source) item.append(` · ${other.source}`);
      if (other.provisional) item.append(" (provisional: not submitted yet, counts nowhere)");
      item.append(differs ? ` — differs from yours (${mark ? labelName[mark.label] : "unmarked"})` : " — same as yours");
      list.append(item);
    }
    othersBox.append(list);
  }
  $("span-help").hidden = !(spanMode && spanMode.sid === sentence.id);
  if (spanMode) $("span-help-title").textContent = `Marking the ${spanMode.kind} span`;
}

function renderDisagreements() {
  if (state.others === null) return;
  const box = $("disagreements");
  const disputed = reviewable.filter((s) => disagrees(s.id));
  box.hidden = false;
  box.replaceChildren();
  const title = document.createElement("strong");
  title.textContent = disputed.length
    ? `Disagreements: ${disputed.length} of ${reviewable.length} sentences `
    : "No disagreements with the other reviewers' labels.";
  box.append(title);
  if (disputed.length) box.append("— sentence ");
  for (const sentence of disputed) {
    const link = document.createElement("a");
    link.href = `#s-${sentence.position}`;
    link.textContent = String(sentence.number);
    link.addEventListener("click", (event) => {
      event.preventDefault();
      go(reviewable.indexOf(sentence));
    });
    box.append(link, " ");
  }
}

// ---- navigation --------------------------------------------------------------------------------

// A button of the panel keeps focus after a mouse click; let go of it, so that Enter and the other
// keys act on the current sentence, not on the button clicked last.
function releaseControl() {
  const active = document.activeElement;
  if (active && active !== document.body && $("panel").contains(active) && active.matches("button")) active.blur();
}

function go(index, { scroll = true, quiet = false } = {}) {
  if (!reviewable.length) return;
  releaseControl();
  index = Math.max(0, Math.min(reviewable.length - 1, index));
  const previous = reviewable[current];
  if (previous) sentenceElement(previous.id).classList.remove("current");
  if (spanMode && spanMode.sid !== reviewable[index].id) spanMode = null;
  current = index;
  const element = sentenceElement(reviewable[current].id);
  element.classList.add("current");
  element.setAttribute("aria-current", "true");
  if (previous && previous !== reviewable[current]) sentenceElement(previous.id).removeAttribute("aria-current");
  history.replaceState(null, "", `#s-${reviewable[current].position}`);
  if (scroll) element.scrollIntoView({ block: "nearest" });
  renderPanel();
  if (!quiet) announceCurrent();
}

// A screen reader hears nothing of the panel changing: say where the reviewer is now.
function announceCurrent() {
  const sentence = reviewable[current];
  const mark = local.get(sentence.id);
  const flag = flagOf(sentence.id);
  let status = "not marked";
  if (mark && mark.label) status = savable(mark) ? labelName[mark.label] : `${labelName[mark.label]}, needs a source`;
  else if (flag) status = `flagged: ${flag.reason_name}`;
  announce(`Sentence ${sentence.number} of ${reviewable.length}, ${status}: ${sentence.text}`);
}

// On opening, the page stays at its header (title, notices, the disagreement summary). On a wide
// screen a current sentence out of sight is scrolled into view; on a phone the docked panel shows
// it already, and the title stays visible.
function initialScroll() {
  window.scrollTo(0, 0);
  if (locked || !reviewable.length) return;
  if (window.matchMedia("(max-width: 60rem)").matches) return; // the panel docks at the bottom (site.css)
  const element = sentenceElement(reviewable[current].id);
  const box = element.getBoundingClientRect();
  if (box.top < 0 || box.bottom > window.innerHeight) element.scrollIntoView({ block: "center" });
}

function initialIndex() {
  const fromHash = /^#s-(\d+)$/.exec(location.hash);
  const fromQuery = new URLSearchParams(location.search).get("s");
  const position = fromHash ? Number(fromHash[1]) : fromQuery !== null ? Number(fromQuery) : null;
  if (position !== null) {
    const index = reviewable.findIndex((s) => s.position >= position);
    if (index >= 0) return index;
  }
  const unmarked = reviewable.findIndex((s) => !savable(local.get(s.id)));
  return unmarked >= 0 ? unmarked : 0;
}

function next() {
  const button = $("submit-button");
  if (current === reviewable.length - 1 && button && !button.disabled) {
    button.focus();
    button.scrollIntoView({ block: "nearest" });
    return;
  }
  go(current + 1);
}

// ---- actions -----------------------------------------------------------------------------------

const picker = new SourcePicker({
  dialog: $("source-dialog"), csrf: state.csrf, url: state.urls.sources, kinds: state.kinds, sides: state.sides,
  remember(source) {
    sources.set(source.id, source);
  },
});

async function chooseSource(sid, { label = null } = {}) {
  const sentence = byId.get(sid);
  const mark = local.get(sid) || blankMark();
  const suggestion = state.suggestions[sid];
  const query = mark.source_span
    ? sentence.text.slice(mark.source_span[0], mark.source_span[1])
    : suggestion && suggestion.source_name ? suggestion.source_name : "";
  const source = await picker.open({ query, kind: suggestion && suggestion.source_kind });
  if (source) {
    const changes = { source: source.id };
    if (label) changes.label = label;
    // Filling in the source an accepted suggestion lacked keeps it "from the suggestion"; replacing
    // the source it came with changes it (from_suggestion means accepted unchanged).
    edit(sid, changes, { keepSuggestion: !label && mark.from_suggestion && !mark.source });
  } else if (label) {
    renderSentence(sid); // picker cancelled: the label stays as it was
  }
  restoreFocus();
}

function setLabel(label) {
  const sid = reviewable[current].id;
  const mark = local.get(sid) || blankMark();
  if (label === "attribution" && !mark.source) {
    // An attribution needs a source: show it as pending and save once one is chosen.
    local.set(sid, { ...mark, label, from_suggestion: false, suggestion_version: "" });
    renderSentence(sid);
    renderSaveStatus(queue.summary());
    chooseSource(sid, { label }).then(() => {
      const after = local.get(sid);
      if (after && after.label === "attribution" && !after.source) {
        // Cancelled: go back to what was stored (or nothing).
        if (mark.label) local.set(sid, mark);
        else local.set(sid, { ...mark, label: null });
        renderSentence(sid);
        renderSaveStatus(queue.summary());
      }
    });
    return;
  }
  edit(sid, { label });
}

function acceptSuggestion() {
  const sid = reviewable[current].id;
  const suggestion = state.suggestions[sid];
  const mark = local.get(sid);
  if (!suggestion || !suggestion.prefill || (mark && mark.label)) return false; // hints are never accepted by Enter
  if (suggestion.source_id && suggestion.source_name && !sources.has(suggestion.source_id)) {
    sources.set(suggestion.source_id, { id: suggestion.source_id, name: suggestion.source_name, kind: suggestion.source_kind || "?" });
  }
  const accepted = {
    ...(mark || blankMark()), label: suggestion.label, source: suggestion.source_id || null,
    source_span: suggestion.source_span, cue_span: suggestion.cue_span, from_suggestion: true,
    suggestion_version: suggestion.model_version || "",
  };
  local.set(sid, accepted);
  if (accepted.label === "attribution" && !accepted.source) {
    renderSentence(sid);
    chooseSource(sid).then(() => {
      const after = local.get(sid);
      if (after && !after.source) {
        local.set(sid, mark || blankMark());
        renderSentence(sid);
      }
    });
    return true;
  }
  commit(sid);
  return true;
}

function startSpan(kind) {
  const sentence = reviewable[current];
  const mark = local.get(sentence.id) || blankMark();
  const fromMouse = selectionSpan(sentence, [sentenceElement(sentence.id).querySelector(".sent-text"), $("cur-text")]);
  if (fromMouse) {
    window.getSelection().removeAllRanges();
    edit(sentence.id, { [`${kind}_span`]: fromMouse });
    return;
  }
  const words = wordsOf(sentence.text);
  if (!words.length) return;
  const suggestion = state.suggestions[sentence.id];
  const existing = mark[`${kind}_span`] || (suggestion && suggestion[`${kind}_span`]);
  const [first, last] = existing ? wordsFromSpan(words, existing) : [0, 0];
  spanMode = { kind, sid: sentence.id, words, first, last };
  renderPanel();
}

function spanKey(event) {
  const mode = spanMode;
  const count = mode.words.length;
  const width = mode.last - mode.first;
  switch (event.key) {
    case "ArrowRight":
      if (event.shiftKey) mode.last = Math.min(count - 1, mode.last + 1);
      else if (mode.last < count - 1) { mode.first += 1; mode.last += 1; }
      break;
    case "ArrowLeft":
      if (event.shiftKey) mode.last = Math.max(mode.first, mode.last - 1);
      else if (mode.first > 0) { mode.first -= 1; mode.last -= 1; }
      break;
    case "Home":
      mode.first = 0; mode.last = width;
      break;
    case "End":
      mode.last = count - 1; mode.first = count - 1 - width;
      break;
    case "Enter":
      spanMode = null;
      edit(mode.sid, { [`${mode.kind}_span`]: spanFromWords(mode.words, mode.first, mode.last) });
      return true;
    case "Delete":
    case "Backspace":
      spanMode = null;
      edit(mode.sid, { [`${mode.kind}_span`]: null });
      return true;
    case "Escape":
      spanMode = null;
      break;
    default:
      return false;
  }
  renderPanel();
  return true;
}

function restoreFocus() {
  if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
}

const flagDialog = new FlagDialog({ dialog: $("flag-dialog"), csrf: state.csrf, url: state.urls.flags });

async function flagProblem() {
  const sentence = reviewable[current] || null;
  const result = await flagDialog.open({
    articleId: state.article.id,
    sentence,
    existing: { sentence: sentence ? openFlagOf(sentence.id) : null, article: openFlagOf(null) },
  });
  restoreFocus();
  if (!result) return;
  if (result.flag) {
    flags = flags.filter((flag) => flag.id !== result.flag.id);
    const reason = state.flag_reasons.find((r) => r.value === result.flag.reason);
    flags.push({ ...result.flag, reason_name: reason ? reason.name : result.flag.reason, resolved: false });
    announce(`Flagged ${result.flag.sentence ? `sentence ${byId.get(result.flag.sentence).number}` : "the whole article"}: ${reason ? reason.name : result.flag.reason}.`);
  } else {
    flags = flags.filter((flag) => flag.id !== result.withdrawn.id);
    announce("Flag withdrawn.");
  }
  for (const s of reviewable) renderSentence(s.id);
  renderPanel();
  renderProgress();
}

function saveNote() {
  const sid = reviewable[current].id;
  const mark = local.get(sid) || blankMark();
  const note = $("note").value;
  if (note === (mark.note || "")) return;
  edit(sid, { note });
}

async function submitArticle() {
  releaseControl();
  const button = $("submit-button");
  const message = $("submit-message");
  button.disabled = true;
  message.textContent = "Saving the last changes…";
  try {
    await queue.drained();
    message.textContent = "Submitting…";
    const response = await fetch(state.urls.submit, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": state.csrf, Accept: "application/json", "Content-Type": "application/json" },
      body: "{}",
    });
    const payload = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(describeErrors(payload));
    message.textContent = "Submitted. Loading the other reviewers' marks…";
    location.replace(location.pathname); // reopens at the header: the notice and the disagreements

  } catch (error) {
    message.textContent = `Not submitted: ${error.message}`;
    button.disabled = false;
  }
}

// ---- events ------------------------------------------------------------------------------------

// A field takes the keys, unless it sits in a dialog that just closed: the browser moves the focus
// away from it only at its next rendering step, and a key pressed before then is the page's.
function typing(target) {
  const field = target.closest("input, textarea, select, [contenteditable=true]");
  return field && !field.closest("dialog:not([open])");
}

function undoKey(event) {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return null;
  const key = event.key.toLowerCase();
  if (key === "z") return event.shiftKey ? "redo" : "undo";
  if (key === "y" && !event.shiftKey) return "redo";
  return null;
}

document.addEventListener("keydown", (event) => {
  if (document.querySelector("dialog[open]")) return; // dialogs handle their own keys
  const target = event.target;
  const history = undoKey(event);
  if (history && !typing(target)) {
    event.preventDefault();
    if (!locked) step(history);
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (typing(target)) {
    if (event.key === "Escape" && target.id === "note") {
      saveNote();
      target.blur();
      event.preventDefault();
    }
    return;
  }
  if (spanMode && spanMode.sid === reviewable[current].id && spanKey(event)) {
    event.preventDefault();
    return;
  }
  const onControl = target.closest("button, a, summary");
  if (onControl && (event.key === "Enter" || event.key === " ")) return;
  let handled = true;
  const key = event.key;
  if (key === "j" || key === "ArrowDown" || key === "ArrowRight") next();
  else if (key === "k" || key === "ArrowUp" || key === "ArrowLeft") go(current - 1);
  else if (key === "?") $("help-dialog").showModal();
  else if (locked) handled = false;
  else if (labelByKey[key]) setLabel(labelByKey[key]);
  else if (key === "Enter") handled = acceptSuggestion();
  else if (key === "s") startSpan("source");
  else if (key === "c") startSpan("cue");
  else if (key === "p") chooseSource(reviewable[current].id);
  else if (key === "n") $("note").focus();
  else if (key === "x") clearMark(reviewable[current].id);
  else if (key === "u") step("undo");
  else if (key === "f") flagProblem();
  else handled = false;
  if (handled) event.preventDefault();
});

$("note").addEventListener("input", () => {
  clearTimeout(noteTimer);
  noteTimer = setTimeout(saveNote, 700);
});
$("note").addEventListener("blur", () => {
  clearTimeout(noteTimer);
  saveNote();
});

for (const button of document.querySelectorAll(".label-button")) {
  button.addEventListener("click", () => {
    releaseControl();
    setLabel(button.dataset.label);
  });
}
const actions = {
  "pick-source": () => chooseSource(reviewable[current].id),
  "span-source": () => startSpan("source"),
  "span-cue": () => startSpan("cue"),
  flag: () => flagProblem(),
  undo: () => step("undo"),
  redo: () => step("redo"),
};
for (const button of document.querySelectorAll("[data-action]")) {
  button.addEventListener("click", () => {
    releaseControl();
    actions[button.dataset.action]();
  });
}
$("help-button").addEventListener("click", () => $("help-dialog").showModal());
if ($("submit-button")) $("submit-button").addEventListener("click", submitArticle);

$("article-text").addEventListener("click", (event) => {
  const element = event.target.closest(".sent");
  if (!element || element.classList.contains("not-reviewable")) return;
  if (!window.getSelection().isCollapsed) return; // selecting text for a span, not moving
  go(reviewable.findIndex((s) => s.id === Number(element.dataset.id)), { scroll: false });
});

// ---- start -------------------------------------------------------------------------------------

for (const sentence of reviewable) renderSentence(sentence.id);
renderDisagreements();
const wantsSubmit = location.hash === "#submit";
go(initialIndex(), { scroll: false, quiet: true });
initialScroll();
if (wantsSubmit && $("submit-button") && !$("submit-button").disabled) $("submit-button").focus({ preventScroll: true });
renderSaveStatus(queue.summary());
queue.flush();
document.body.dataset.ready = "true";
