"""The reviewer's and the lead's day in real Chromium: keys act on the current sentence after a
mouse click, undo/redo through the save path, the page opens at its header, one sentence
numbering, the source picker's "Back to search", flags, the lead home, forbidden and missing
pages."""

import pytest
from playwright.sync_api import expect

from annotate.codebook import Label, SourceKind
from annotate.models import Annotation, AnnotationRevision, Assignment, Flag, Source
from annotate.services import MarkInput, save_annotation, submit_assignment
from tests.annotate.test_views import make_article

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def press(page, *keys: str) -> None:
    for key in keys:
        page.keyboard.press(key)


def wait_saved(page) -> None:
    page.wait_for_selector('#save-status[data-state="saved"]')


def open_article(page, base: str, article, query: str = "") -> None:
    page.goto(f"{base}/annotate/articles/{article.pk}/{query}")
    page.wait_for_selector("body[data-ready=true]")


def in_view(page, selector: str) -> bool:
    """The element's box lies inside the window (not scrolled away)."""
    return page.eval_on_selector(
        selector,
        "e => { const r = e.getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0; }",
    )


def mark(reviewer, article, position: int, label: str = Label.ANALYSIS, **extra):
    sentence = article.sentences.get(position=position)
    return save_annotation(reviewer=reviewer, sentence=sentence, mark=MarkInput(label=label, **extra))[0]


def submit_work(reviewer, article, labels: dict[int, str] | None = None) -> None:
    """The reviewer marks every sentence they have not marked (analysis, or `labels[position]`)
    and submits: only submitted work counts, for other reviewers' eyes and the adjudication queue."""
    labels = labels or {}
    assignment = Assignment.objects.get_or_create(article=article, reviewer=reviewer)[0]
    marked = set(Annotation.objects.filter(reviewer=reviewer).values_list("sentence_id", flat=True))
    for sentence in article.sentences.filter(reviewable=True).exclude(pk__in=marked):
        mark(reviewer, article, sentence.position, labels.get(sentence.position, Label.ANALYSIS))
    submit_assignment(assignment=assignment)


@pytest.fixture
def reports(db):
    return Source.objects.create(name="Reports", kind=SourceKind.ANONYMOUS)


def test_enter_after_a_mouse_click_acts_on_the_current_sentence(
    live_server, open_page, sample_article, reviewer, reports
):
    """Click "1 Claim" on one sentence, press j, press Enter: the next sentence takes its own
    suggestion (an attribution to "Reports"), not the label of the button clicked last."""
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    page, errors = open_page()
    log_in(page, live_server.url, "reviewer1")
    open_article(page, live_server.url, sample_article, "?s=3")
    page.click('.label-button[data-label="claim"]')
    wait_saved(page)
    assert page.evaluate("document.activeElement === document.body")  # the button let go of focus
    press(page, "j")
    assert page.inner_text(".sent.current [data-badge]") == "suggested: Attribution"
    press(page, "Enter")
    wait_saved(page)
    marks = {a.sentence.position: a for a in Annotation.objects.select_related("sentence")}
    assert marks[3].label == Label.CLAIM
    assert (marks[4].label, marks[4].source, marks[4].from_suggestion) == (Label.ATTRIBUTION, reports, True)
    # The same after clicking a panel action and a sentence with the mouse.
    page.click('[data-action="span-cue"]')
    press(page, "Escape")
    page.click("#sent-5 .sent-text")
    press(page, "3")
    wait_saved(page)
    assert Annotation.objects.get(sentence__position=5).label == Label.ANALYSIS
    assert Annotation.objects.get(sentence__position=4).label == Label.ATTRIBUTION
    assert errors == []


def test_undo_and_redo_go_through_the_save_path_and_the_history(live_server, open_page, sample_article, reviewer):
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    page, errors = open_page()
    log_in(page, live_server.url, "reviewer1")
    open_article(page, live_server.url, sample_article)

    def stored():
        annotation = Annotation.objects.filter(sentence__position=0).first()
        return annotation.label if annotation else None

    press(page, "1")
    wait_saved(page)
    press(page, "3")
    wait_saved(page)
    press(page, "x")
    wait_saved(page)
    assert stored() is None
    press(page, "j")  # undo brings the page back to the sentence it changes
    press(page, "u")
    wait_saved(page)
    assert stored() == Label.ANALYSIS
    assert page.inner_text("#cur-pos") == "1 of 19"
    assert "Undone: sentence 1 is back to Analysis" in page.inner_text("#announce")
    press(page, "Control+z")
    wait_saved(page)
    assert stored() == Label.CLAIM
    press(page, "Control+Shift+Z")
    wait_saved(page)
    assert stored() == Label.ANALYSIS
    press(page, "Control+y")
    wait_saved(page)
    assert stored() is None
    press(page, "Control+y")
    assert page.inner_text("#announce") == "Nothing to redo."
    press(page, "u")
    wait_saved(page)
    assert stored() == Label.ANALYSIS
    expect(page.locator("#sent-0 [data-badge]")).to_have_text("Analysis")
    # Every step is a saved change with its own revision: 3 changes, then undo, undo, redo, redo, undo.
    sentence = sample_article.sentences.get(position=0)
    actions = list(
        AnnotationRevision.objects.filter(sentence=sentence).order_by("changed_at", "id").values_list("action", "label")
    )
    assert actions == [
        ("create", "claim"),
        ("update", "analysis"),
        ("delete", "analysis"),
        ("create", "analysis"),
        ("update", "claim"),
        ("update", "analysis"),
        ("delete", "analysis"),
        ("create", "analysis"),
    ]
    # Ctrl+Z while typing a note is the text box's own undo, not the marks'.
    press(page, "n")
    page.keyboard.type("abc")
    press(page, "Control+z")
    press(page, "Escape")
    wait_saved(page)
    assert stored() == Label.ANALYSIS
    assert errors == []


def test_the_page_opens_at_its_header_and_shows_the_submitted_notice(
    live_server, open_page, screenshot, sample_article, reviewer, reviewer2
):
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    for position in range(19):
        if position != 1:
            mark(reviewer, sample_article, position)
    submit_work(reviewer2, sample_article, {2: Label.CLAIM})
    page, errors = open_page()
    log_in(page, live_server.url, "reviewer1")
    page.goto(f"{live_server.url}/annotate/continue/")
    page.wait_for_selector("body[data-ready=true]")
    # The address names the sentence, and the browser no longer jumps to it past the header.
    assert page.url.endswith("#s-1")
    assert page.evaluate("window.scrollY") == 0
    assert in_view(page, "h1")
    assert in_view(page, ".sent.current")
    press(page, "3")
    wait_saved(page)
    page.click("#submit-button")
    page.wait_for_selector("#submitted-notice")
    page.wait_for_selector("body[data-ready=true]")
    assert page.evaluate("window.scrollY") == 0
    assert in_view(page, "#submitted-notice")
    assert in_view(page, "#disagreements")
    assert page.inner_text("#disagreements").startswith("Disagreements: 1 of 19 sentences — sentence 3")
    screenshot(page, "reviewer-submitted")

    # A long article, far down: the sentence is shown; near the top: the page stays at its header.
    long = make_article(80, "long")
    Assignment.objects.create(article=long, reviewer=reviewer)
    open_article(page, live_server.url, long, "#s-70")
    assert in_view(page, ".sent.current")
    assert page.inner_text("#cur-pos") == "71 of 80"
    open_article(page, live_server.url, long, "?s=2")  # another address: a fresh page, not a hash change
    assert page.evaluate("window.scrollY") == 0

    phone, phone_errors = open_page(width=390, height=844)
    log_in(phone, live_server.url, "reviewer1")
    open_article(phone, live_server.url, long, "#s-3")
    assert in_view(phone, "h1")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Far down on a phone: the title stays, the docked panel shows the sentence; moving on scrolls the
    # sentence into the part of the window the panel leaves free.
    open_article(phone, live_server.url, long, "?s=40")
    assert in_view(phone, "h1")
    assert phone.inner_text("#panel-title") == "Sentence 41 of 80"
    press(phone, "j")
    panel_top = phone.eval_on_selector("#panel", "e => e.getBoundingClientRect().top")
    assert phone.eval_on_selector(".sent.current", "e => e.getBoundingClientRect().bottom") <= panel_top
    screenshot(phone, "reviewer-article-phone")
    assert errors == []
    assert phone_errors == []


def test_one_numbering_on_the_page_in_adjudication_and_in_messages(
    live_server, open_page, sample_article, reviewer, reviewer2, lead
):
    sample_article.sentences.filter(position=3).update(reviewable=False)  # a credit line in the middle
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    mark(reviewer, sample_article, 5, Label.CLAIM)
    page, errors = open_page()
    log_in(page, live_server.url, "reviewer1")
    open_article(page, live_server.url, sample_article)
    assert page.inner_text("#progress-text") == "1 / 18 sentences marked"
    assert page.inner_text("#panel-title") == "Sentence 1 of 18"
    numbers = page.locator(".sent-num").all_inner_texts()
    assert numbers[:5] == ["1", "2", "3", "4", "5"]
    assert len(numbers) == 18
    assert page.locator("#sent-3 .sent-num").count() == 0  # the credit line has no number
    page.click("#sent-5 .sent-text")
    assert page.inner_text("#panel-title") == "Sentence 5 of 18"

    # Both submit; they disagree on sentence 5 (position 5, one line before it not reviewed).
    submit_work(reviewer, sample_article)
    submit_work(reviewer2, sample_article, {5: Label.ANALYSIS})
    lead_page, lead_errors = open_page()
    log_in(lead_page, live_server.url, "lead", lands="/lead/")
    lead_page.click("#nav-adjudicate")
    lead_page.wait_for_load_state()
    meta = lead_page.inner_text("#adjudication-queue .dispute .meta")
    assert "sentence 5" in meta
    press(lead_page, "3")  # settle it as analysis
    lead_page.wait_for_selector(".messages")
    assert f"Sentence 5 of “{sample_article.title}” settled as analysis." in lead_page.inner_text(".messages")
    assert errors == []
    assert lead_errors == []


def test_back_to_search_in_the_source_picker_shows_the_search_again(live_server, open_page, sample_article, reviewer):
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    page, errors = open_page()
    log_in(page, live_server.url, "reviewer1")
    open_article(page, live_server.url, sample_article)
    press(page, "p")
    page.wait_for_selector("#source-dialog[open]")
    page.keyboard.type("Nobody we know")
    page.wait_for_selector('#source-results [aria-selected="true"].create')
    press(page, "Enter")
    expect(page.locator("#source-create")).to_be_visible()
    expect(page.locator("#source-search")).to_be_hidden()
    page.click("#new-back")
    expect(page.locator("#source-create")).to_be_hidden()
    expect(page.locator("#source-search")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == "source-query"
    # Choosing a source and pressing "p" at once opens the picker again, and it stays open.
    Source.objects.create(name="Reports", kind=SourceKind.ANONYMOUS)
    page.fill("#source-query", "Reports")
    page.wait_for_selector("#source-results [role=option]:not(.create)")
    assert page.evaluate(REOPEN_AT_ONCE, ["source-dialog", "#source-results [role=option]:not(.create)", "p"]) is True
    page.focus("#source-query")
    assert page.evaluate(KEY_IN_A_JUST_CLOSED_DIALOG, ["source-dialog", "p"]) == ["INPUT", True]
    assert errors == []


# Click a button that closes a dialog and press its key in one task, then look a moment later:
# is the dialog open? (Its late close event closed the new opening.)
def test_the_source_picker_can_be_cancelled_without_a_keyboard(live_server, open_page, sample_article, reviewer):
    """On a phone there is no Esc key: the picker's search and its new-source form each have a
    Cancel button, which closes it without a source (the attribution pressed before it is undone)."""
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    page, errors = open_page(390, 844)
    log_in(page, live_server.url, "reviewer1")
    open_article(page, live_server.url, sample_article)
    page.click('.label-button[data-label="attribution"]')
    page.wait_for_selector("#source-dialog[open]")
    page.click("#source-cancel")
    expect(page.locator("#source-dialog")).not_to_have_attribute("open", "")
    assert page.inner_text(".sent.current [data-badge]") != "Attribution: needs a source"
    assert page.get_attribute('.label-button[data-label="attribution"]', "aria-pressed") == "false"
    page.click('[data-action="pick-source"]')
    page.wait_for_selector("#source-dialog[open]")
    page.click("#source-results .create")
    expect(page.locator("#source-create")).to_be_visible()
    page.click("#new-cancel")
    expect(page.locator("#source-dialog")).not_to_have_attribute("open", "")
    assert not Source.objects.exists()
    assert not Annotation.objects.exists()
    assert errors == []


def test_a_note_on_an_unmarked_sentence_is_not_called_saved(live_server, open_page, sample_article, reviewer):
    """A note (or a span) needs a label to be saved: until then the page says so instead of
    "All changes saved", and the label saves the note with it."""
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    page, errors = open_page()
    log_in(page, live_server.url, "reviewer1")
    open_article(page, live_server.url, sample_article)
    press(page, "n")
    page.keyboard.type("a quote or not?")
    press(page, "Escape")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "draft")
    assert page.inner_text("#save-status") == "Saved · a note or span waits for its label"
    assert page.inner_text("#cur-state") == "Not saved: choose a label (1–4) to save the note."
    assert not Annotation.objects.exists()
    press(page, "1")
    wait_saved(page)
    assert page.inner_text("#save-status") == "All changes saved"
    assert Annotation.objects.get().note == "a quote or not?"
    assert errors == []


def test_changes_made_while_signed_out_are_kept_and_the_page_says_how_to_save_them(
    live_server, open_page, sample_article, reviewer, reviewer2
):
    """Signed out (an expired session, or signed out in another tab), a change is refused (403) and
    kept. Signing in again gives a new CSRF token, so the open page stays refused: it must say to
    sign in and reload, and the reload saves the kept change. (The page keeps its own token on
    purpose: had someone else signed in meanwhile, it must not save one reviewer's marks as theirs.)"""
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    Assignment.objects.create(article=sample_article, reviewer=reviewer2)
    page, errors = open_page()
    log_in(page, live_server.url, "reviewer1")
    open_article(page, live_server.url, sample_article)
    other = page.context.new_page()
    other.goto(f"{live_server.url}/annotate/")
    other.click("text=Log out reviewer1")
    other.wait_for_url(f"{live_server.url}/")
    press(page, "1")
    page.wait_for_selector('#save-status[data-state="error"]')
    assert page.inner_text("#save-status").startswith(
        "Not saved (signed out? sign in again, then reload this page): 1 change(s) kept"
    )
    log_in(other, live_server.url, "reviewer2")
    page.evaluate("window.dispatchEvent(new Event('online'))")  # retried at once: still refused
    page.wait_for_timeout(500)
    assert not Annotation.objects.exists()
    other.click("text=Log out reviewer2")
    other.wait_for_url(f"{live_server.url}/")
    log_in(other, live_server.url, "reviewer1")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    wait_saved(page)
    assert Annotation.objects.get().reviewer == reviewer
    assert [e for e in errors if "403" not in e] == []


def test_moving_to_a_sentence_is_announced_to_screen_readers(live_server, open_page, sample_article, reviewer):
    """j / k change the current sentence: the page's status region (role=status) says which one,
    its mark and its text, so a screen reader user hears where they are (nothing was said)."""
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    page, errors = open_page()
    log_in(page, live_server.url, "reviewer1")
    open_article(page, live_server.url, sample_article)
    assert page.inner_text("#announce") == ""  # opening the page says nothing extra
    press(page, "1")
    wait_saved(page)
    press(page, "j")
    second = sample_article.sentences.get(position=1).text
    assert page.inner_text("#announce") == f"Sentence 2 of 19, not marked: {second}"
    press(page, "k")
    first = sample_article.sentences.get(position=0).text
    assert page.inner_text("#announce") == f"Sentence 1 of 19, Claim: {first}"
    assert page.get_attribute("#announce", "role") == "status"
    assert errors == []


def test_a_retired_article_opens_read_only_and_says_why(live_server, open_page, sample_article, reviewer):
    """Marks of a retired article (or of a retired outlet) cannot change: its page says so and
    takes no label, rather than looking open and answering every key with "Changed elsewhere"."""
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    mark(reviewer, sample_article, 0, Label.CLAIM)
    sample_article.outlet.retired = True
    sample_article.outlet.save()
    page, errors = open_page()
    log_in(page, live_server.url, "reviewer1")
    open_article(page, live_server.url, sample_article, "?s=1")
    assert "This article is retired" in page.inner_text("#retired-notice")
    assert page.is_disabled('.label-button[data-label="claim"]')
    assert page.is_disabled("#submit-button")
    press(page, "1")
    page.wait_for_timeout(300)
    assert page.inner_text("#cur-state") == ""
    assert page.inner_text("#save-status") == "All changes saved"
    assert list(Annotation.objects.values_list("sentence__position", "label")) == [(0, Label.CLAIM)]
    assert errors == []


def test_changing_the_source_of_an_accepted_suggestion_is_no_longer_from_the_suggestion(
    live_server, open_page, sample_article, reviewer, reports
):
    """`from_suggestion` means accepted unchanged (the acceptance rate counts it): a reviewer who
    accepts the suggested attribution to "Reports" and then picks another source has changed it."""
    Source.objects.create(name="Analysts", kind=SourceKind.ANONYMOUS)
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    page, errors = open_page()
    log_in(page, live_server.url, "reviewer1")
    open_article(page, live_server.url, sample_article, "?s=4")
    press(page, "Enter")
    wait_saved(page)
    accepted = Annotation.objects.get()
    assert (accepted.source, accepted.from_suggestion) == (reports, True)
    press(page, "p")
    page.wait_for_selector("#source-dialog[open]")
    page.keyboard.type("Analysts")
    page.wait_for_selector('#source-results [aria-selected="true"]:not(.create)')
    press(page, "Enter")
    expect(page.locator("#cur-source")).to_contain_text("Analysts")
    wait_saved(page)
    changed = Annotation.objects.get()
    assert (changed.source.name, changed.from_suggestion, changed.suggestion_version) == ("Analysts", False, "")
    assert errors == []


REOPEN_AT_ONCE = """([dialogId, closer, key]) => new Promise((resolve) => {
  const dialog = document.getElementById(dialogId);
  dialog.querySelector(closer).click();
  document.body.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
  setTimeout(() => resolve(dialog.open), 100);
})"""


# A key pressed while the focus is still on a field of a dialog that just closed (the browser moves
# it away only at its next rendering step): the page's keys must act, not take it for typing.
KEY_IN_A_JUST_CLOSED_DIALOG = """([dialogId, key]) => new Promise((resolve) => {
  const dialog = document.getElementById(dialogId);
  const field = document.activeElement;
  dialog.close();
  field.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
  setTimeout(() => resolve([field.tagName, dialog.open]), 100);
})"""


def test_flagging_a_sentence_and_the_article_lets_the_reviewer_submit(
    live_server, open_page, screenshot, sample_article, reviewer, lead
):
    assignment = Assignment.objects.create(article=sample_article, reviewer=reviewer)
    for position in range(19):
        if position != 6:
            mark(reviewer, sample_article, position)
    page, errors = open_page()
    log_in(page, live_server.url, "reviewer1")
    open_article(page, live_server.url, sample_article, "#s-6")
    assert page.is_disabled("#submit-button")
    # Escape closes it without flagging.
    press(page, "f")
    page.wait_for_selector("#flag-dialog[open]")
    press(page, "Escape")
    page.wait_for_selector("#flag-dialog:not([open])", state="attached")
    assert not Flag.objects.exists()
    # "f" pressed in the same moment the dialog closed (its close event still queued) opens it, and
    # it stays open: the late close event closed the new opening, and the next click found no dialog.
    press(page, "f")
    page.wait_for_selector("#flag-dialog[open]")
    assert page.evaluate(REOPEN_AT_ONCE, ["flag-dialog", "#flag-cancel", "f"]) is True
    press(page, "Escape")
    page.wait_for_selector("#flag-dialog:not([open])", state="attached")
    press(page, "f")
    page.wait_for_selector("#flag-dialog[open]")
    assert page.evaluate(KEY_IN_A_JUST_CLOSED_DIALOG, ["flag-dialog", "f"]) == ["INPUT", True]
    press(page, "Escape")
    page.wait_for_selector("#flag-dialog:not([open])", state="attached")
    press(page, "f")
    page.wait_for_selector("#flag-dialog[open]")
    assert page.inner_text("#flag-sentence-label") == "Sentence 7"
    page.check('input[name="reason"][value="other"]')
    page.click('#flag-form button[type="submit"]')
    assert page.inner_text("#flag-error") == "Say what the problem is in the note."
    page.fill("#flag-note", "two sentences glued together")
    screenshot(page, "reviewer-flag-dialog")
    page.click('#flag-form button[type="submit"]')
    page.wait_for_selector("#flag-dialog:not([open])", state="attached")
    expect(page.locator("#sent-6 [data-badge]")).to_have_text("flagged: Other problem")
    assert "You flagged this sentence: Other problem" in page.inner_text("#cur-flag")
    assert page.inner_text("#progress-text") == "18 / 19 sentences marked · 1 flagged"
    assert page.is_enabled("#submit-button")
    flag = Flag.objects.get()
    assert (flag.sentence.position, flag.reason, flag.note) == (6, "other", "two sentences glued together")
    # Change it to a bad split, then withdraw it.
    press(page, "f")
    page.wait_for_selector("#flag-dialog[open]")
    assert page.input_value("#flag-note") == "two sentences glued together"
    page.check('input[name="reason"][value="bad_split"]')
    page.click('#flag-form button[type="submit"]')
    expect(page.locator("#sent-6 [data-badge]")).to_have_text("flagged: Bad sentence split")
    assert Flag.objects.get().reason == "bad_split"
    press(page, "f")
    page.wait_for_selector("#flag-dialog[open]")
    page.click("#flag-withdraw")
    expect(page.locator("#sent-6 [data-badge]")).to_have_text("suggested: Attribution")
    assert not Flag.objects.exists()
    assert page.is_disabled("#submit-button")
    # The whole article: not news.
    press(page, "f")
    page.wait_for_selector("#flag-dialog[open]")
    page.check('input[name="target"][value="article"]')
    page.check('input[name="reason"][value="not_news"]')
    page.click('#flag-form button[type="submit"]')
    expect(page.locator("#progress-text")).to_have_text("18 / 19 sentences marked · article flagged")
    page.click("#submit-button")
    page.wait_for_selector("#submitted-notice")
    assignment.refresh_from_db()
    assert assignment.submitted_at is not None

    lead_page, lead_errors = open_page()
    log_in(lead_page, live_server.url, "lead", lands="/lead/")
    assert lead_page.inner_text("#home-flags") == "1"
    assert lead_page.text_content("#nav-flags .count") == "1 open"
    lead_page.click("#nav-flags")
    lead_page.fill("input[name=resolution]", "it is news: keep")
    lead_page.click("#flag-list button[type=submit]")
    expect(lead_page.locator(".messages")).to_contain_text("resolved")
    assert lead_page.text_content("#nav-flags .count") == "0 open"
    assert errors == []
    assert lead_errors == []


def test_leads_land_on_their_home_with_everything_one_click_away(
    live_server, open_page, screenshot, sample_article, reviewer, reviewer2, lead
):
    submit_work(reviewer, sample_article, {0: Label.CLAIM})
    submit_work(reviewer2, sample_article)
    page, errors = open_page()
    log_in(page, live_server.url, "lead", lands="/lead/")
    assert page.inner_text("h1") == "Lead home"
    assert page.text_content("#nav-adjudicate .count") == "1 waiting"
    assert page.inner_text("#home-disputed") == "1"
    screenshot(page, "lead-home")
    for name, url in (
        ("Adjudication queue", "/adjudicate/"),
        ("Flags", "/annotate/flags/"),
        ("Assign articles", "/annotate/assign/"),
        ("Reviewers' progress", "/annotate/progress/"),
        ("Dataset exports", "/exports/"),
        ("Score runs", "/outlets/"),
    ):
        page.click(f'.card h3 a:text-is("{name}")')
        page.wait_for_url(f"{live_server.url}{url}")
        page.go_back()
    phone, phone_errors = open_page(width=390, height=844)
    log_in(phone, live_server.url, "lead", lands="/lead/")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "lead-home-phone")
    assert errors == []
    assert phone_errors == []


def test_forbidden_and_missing_pages_are_styled_and_anonymous_visitors_sign_in(
    live_server, open_page, screenshot, reviewer
):
    page, errors = open_page()
    page.goto(f"{live_server.url}/adjudicate/")
    assert page.url == f"{live_server.url}/accounts/login/?next=/adjudicate/"
    page.goto(f"{live_server.url}/annotate/progress/")
    assert page.url == f"{live_server.url}/accounts/login/?next=/annotate/progress/"
    log_in(page, live_server.url, "reviewer1")
    response = page.goto(f"{live_server.url}/adjudicate/")
    assert response.status == 403
    assert page.inner_text("h1") == "You can't open this page"
    # Styled: the site's stylesheet applies (the brand link is not underlined, as in site.css).
    assert page.eval_on_selector(".brand", "e => getComputedStyle(e).textDecorationLine") == "none"
    screenshot(page, "error-403")
    response = page.goto(f"{live_server.url}/no/such/page/")
    assert response.status == 404
    assert page.inner_text("h1") == "Page not found"
    assert page.eval_on_selector(".brand", "e => getComputedStyle(e).textDecorationLine") == "none"
    screenshot(page, "error-404")
    # The browser logs the 403 and 404 responses themselves; nothing else may fail.
    assert [e for e in errors if "status of 403" not in e and "status of 404" not in e] == []
