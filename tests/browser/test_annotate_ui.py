"""The annotation workspace in real Chromium: keyboard-only annotation, autosave, reload,
submit, and the disagreements a second reviewer sees afterwards."""

import pytest
from playwright.sync_api import expect

from annotate.codebook import Label, SourceKind
from annotate.models import Annotation, Assignment, Side, Source, Topic
from annotate.services import MarkInput, save_annotation, submit_assignment

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Keys for positions 0–18 of the sample article (19 is the trailer nobody reviews).
PLAN = {
    0: "1",
    1: "1",
    2: "3",
    3: "1",
    5: "3",
    6: "1",
    8: "3",
    9: "3",
    10: "3",
    11: "1",
    12: "3",
    13: "1",
    14: "3",
    15: "3",
    16: "3",
    17: "3",
    18: "3",
}
LABEL_OF_KEY = {"1": Label.CLAIM, "2": Label.ATTRIBUTION, "3": Label.ANALYSIS, "4": Label.OTHER}


@pytest.fixture
def registry(db):
    topic = Topic.objects.create(name="Syria war")
    for name in ["government and allies", "opposition", "international", "independent"]:
        Side.objects.create(topic=topic, name=name)
    Source.objects.create(name="Reuters", kind=SourceKind.MEDIA)
    return Source.objects.create(name="Reports", kind=SourceKind.ANONYMOUS)


def press(page, *keys: str) -> None:
    for key in keys:
        page.keyboard.press(key)


def wait_saved(page) -> None:
    page.wait_for_selector('#save-status[data-state="saved"]')


def current_position(page) -> int:
    return int(page.get_attribute(".sent.current", "data-position"))


def mark_span(page, kind_key: str, first_word: int, words: int = 1, *, shot=None) -> None:
    """Mark a span by keyboard: span mode starts on the suggested span (if any), so first go to the
    sentence start and shrink to one word, then move and widen."""
    press(
        page,
        kind_key,
        "Home",
        *["Shift+ArrowLeft"] * 8,
        *["ArrowRight"] * first_word,
        *["Shift+ArrowRight"] * (words - 1),
    )
    if shot:
        shot()
    press(page, "Enter")


def annotate_sample(page, screenshot) -> None:
    """Mark every sentence of the sample article with the keyboard only."""
    for position in range(19):
        assert current_position(page) == position
        if position == 4:  # "Reports indicate that …": a source from the registry
            mark_span(page, "s", 0)
            mark_span(page, "c", 1)
            press(page, "2")
            page.wait_for_selector("#source-dialog[open]")
            page.wait_for_selector('#source-results [aria-selected="true"]:has-text("Reports")')
            press(page, "Enter")
            page.wait_for_selector("#source-dialog:not([open])", state="attached")
        elif position == 7:  # "The White Helmets, …, affirmed …": a new source
            mark_span(page, "s", 0, 3, shot=lambda: screenshot(page, "03-span-mode"))
            mark_span(page, "c", 7)
            press(page, "2")
            page.wait_for_selector('#source-results [aria-selected="true"].create')
            press(page, "Enter")
            page.wait_for_selector("#source-create:not([hidden])")
            press(page, "Tab")
            page.keyboard.type("o")  # kind: organisation
            press(page, "Tab")
            page.keyboard.type("o")  # side: opposition
            press(page, "Tab")
            page.keyboard.type("White Helmets")
            screenshot(page, "04-new-source-dialog")
            press(page, "Enter")
            page.wait_for_selector("#source-dialog:not([open])", state="attached")
        elif position == 10:
            press(page, PLAN[position], "n")
            page.keyboard.type("grave: assessment, not an event")
            press(page, "Escape")
        else:
            press(page, PLAN[position])
        wait_saved(page)
        if position < 18:
            press(page, "j")


def test_reviewer_annotates_by_keyboard_reloads_submits_and_second_reviewer_sees_disagreements(
    live_server,
    open_page,
    screenshot,
    sample_article,
    registry,
    reviewer,
    reviewer2,
):
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    assignment2 = Assignment.objects.create(article=sample_article, reviewer=reviewer2)
    page, errors = open_page()
    log_in(page, live_server.url, "reviewer1")
    screenshot(page, "01-queue")
    page.focus("#continue")
    press(page, "Enter")
    page.wait_for_selector("body[data-ready=true]")
    screenshot(page, "02-article")
    press(page, "?")
    page.wait_for_selector("#help-dialog[open]")
    screenshot(page, "05-shortcuts")
    press(page, "Escape")

    annotate_sample(page, screenshot)

    stored = Annotation.objects.filter(reviewer=reviewer).select_related("sentence", "source__side")
    marks = {a.sentence.position: a for a in stored}
    assert len(marks) == 19
    assert all(marks[p].label == LABEL_OF_KEY[k] for p, k in PLAN.items())
    helmets = marks[7]
    text = helmets.sentence.text
    assert (helmets.label, helmets.source.name) == ("attribution", "The White Helmets")
    assert helmets.source.kind == "organisation"
    assert helmets.source.side.name == "opposition"
    assert list(helmets.source.aliases.values_list("name", flat=True)) == ["White Helmets"]
    assert text[helmets.source_start : helmets.source_end] == "The White Helmets"
    assert text[helmets.cue_start : helmets.cue_end] == "affirmed"
    reports = marks[4]
    assert reports.source == registry
    assert reports.sentence.text[reports.source_start : reports.source_end] == "Reports"
    assert reports.sentence.text[reports.cue_start : reports.cue_end] == "indicate"
    assert marks[10].note == "grave: assessment, not an event"
    assert not any(m.from_suggestion for m in marks.values())

    # Reloading restores everything, straight from the page (no API call needed).
    page.goto(f"{live_server.url}/annotate/articles/{sample_article.pk}/?s=7")
    page.wait_for_selector("body[data-ready=true]")
    assert current_position(page) == 7
    assert page.inner_text("#cur-source") == "The White Helmets (organisation, opposition)"
    assert page.inner_text("#cur-source-span") == "“The White Helmets”"
    assert page.inner_text("#cur-cue-span") == "“affirmed”"
    assert page.get_attribute('.label-button[data-label="attribution"]', "aria-pressed") == "true"
    badges = page.locator(".sent:not(.not-reviewable) [data-badge]").all_inner_texts()
    assert badges == [Label(LABEL_OF_KEY.get(PLAN.get(p, "2"))).label for p in range(19)]
    assert page.inner_text("#progress-text") == "19 / 19 sentences marked"
    screenshot(page, "06-after-reload")
    press(page, *["j"] * 3)
    assert page.input_value("#note") == "grave: assessment, not an event"

    press(page, *["j"] * 9)  # past the last sentence: the submit button
    assert page.evaluate("document.activeElement.id") == "submit-button"
    press(page, "Enter")
    page.wait_for_selector("#submitted-notice")
    assert Assignment.objects.get(article=sample_article, reviewer=reviewer).submitted_at is not None
    assert "No disagreements" in page.inner_text("#disagreements")

    # The second reviewer marked two sentences differently; once they submit, both see it.
    for sentence in sample_article.sentences.filter(reviewable=True):
        mine = marks[sentence.position]
        label = {1: Label.ANALYSIS, 5: Label.CLAIM}.get(sentence.position, mine.label)
        save_annotation(reviewer=reviewer2, sentence=sentence, mark=MarkInput(label=label, source=mine.source))
    page2, errors2 = open_page()
    log_in(page2, live_server.url, "reviewer2")
    page2.goto(f"{live_server.url}/annotate/articles/{sample_article.pk}/")
    page2.wait_for_selector("body[data-ready=true]")
    assert page2.is_hidden("#disagreements"), "blind: nothing is shown before submitting"
    assert page2.locator(".sent.disagree").count() == 0
    submit_assignment(assignment=assignment2)
    page2.reload()
    page2.wait_for_selector("body[data-ready=true]")
    assert page2.inner_text("#disagreements").startswith("Disagreements: 2 of 19 sentences")
    assert page2.locator(".sent.disagree").evaluate_all("els => els.map(e => e.dataset.position)") == ["1", "5"]
    page2.click("#disagreements a >> nth=0")
    others = page2.inner_text("#others")
    assert "reviewer1: Claim" in others
    assert "differs from yours (Analysis)" in others
    screenshot(page2, "07-disagreements")

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.inner_text("#disagreements").startswith("Disagreements: 2 of 19 sentences")
    assert errors == []
    assert errors2 == []


def test_failed_saves_are_kept_and_retried_until_the_server_answers(
    live_server,
    open_page,
    sample_article,
    reviewer,
):
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    page, errors = open_page()
    log_in(page, live_server.url, "reviewer1")
    page.goto(f"{live_server.url}/annotate/articles/{sample_article.pk}/")
    page.wait_for_selector("body[data-ready=true]")
    page.context.set_offline(True)
    press(page, "1", "j", "3")
    page.wait_for_selector('#save-status[data-state="error"]')
    assert "change(s) kept" in page.inner_text("#save-status")
    pending = page.evaluate(f"JSON.parse(localStorage.getItem('sourcemark:pending:{reviewer.pk}'))")
    assert len(pending) == 2
    assert Annotation.objects.count() == 0
    page.context.set_offline(False)
    wait_saved(page)
    assert sorted(Annotation.objects.values_list("sentence__position", "label")) == [(0, "claim"), (1, "analysis")]
    assert page.evaluate(f"localStorage.getItem('sourcemark:pending:{reviewer.pk}')") == "{}"
    # Failed fetches while offline are reported by Chromium as console errors; nothing else may be.
    assert [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e] == []


def test_pending_attribution_waits_for_a_source_and_cancelling_restores_the_mark(
    live_server,
    open_page,
    screenshot,
    sample_article,
    reviewer,
    registry,
):
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    page, errors = open_page()
    log_in(page, live_server.url, "reviewer1")
    page.goto(f"{live_server.url}/annotate/articles/{sample_article.pk}/")
    page.wait_for_selector("body[data-ready=true]")
    press(page, "1")
    wait_saved(page)
    press(page, "2")
    page.wait_for_selector("#source-dialog[open]")
    assert page.inner_text(".sent.current [data-badge]") == "Attribution: needs a source"
    press(page, "Escape")
    page.wait_for_selector("#source-dialog:not([open])", state="attached")
    # The dialog's "close" event, which restores the mark, comes a task after [open] is removed.
    expect(page.locator(".sent.current [data-badge]")).to_have_text("Claim")
    assert Annotation.objects.get().label == "claim"
    press(page, "2")
    page.wait_for_selector("#source-results [role=option] >> nth=0")
    page.keyboard.type("Repo")
    page.wait_for_selector('#source-results [aria-selected="true"]:has-text("Reports")')
    press(page, "Enter")
    wait_saved(page)
    annotation = Annotation.objects.get()
    assert (annotation.label, annotation.source, annotation.version) == ("attribution", registry, 2)
    assert errors == []


def test_narrow_window_and_guidelines_render_without_errors(
    live_server,
    open_page,
    screenshot,
    sample_article,
    reviewer,
):
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    page, errors = open_page(width=414, height=800)
    log_in(page, live_server.url, "reviewer1")
    page.goto(f"{live_server.url}/annotate/articles/{sample_article.pk}/")
    page.wait_for_selector("body[data-ready=true]")
    press(page, "3", "j")
    wait_saved(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "08-narrow")
    page.goto(f"{live_server.url}/guidelines/")
    assert page.locator("#examples ~ .example").count() >= 6
    screenshot(page, "09-guidelines", full_page=True)
    assert errors == []


def test_enter_accepts_a_prefilled_suggestion_and_ignores_a_hint(live_server, open_page, sample_article, reviewer):
    from suggestions.predict import suggestions_for_sentences

    reports = Source.objects.create(name="Reports", kind=SourceKind.ANONYMOUS)
    Assignment.objects.create(article=sample_article, reviewer=reviewer)
    sentences = list(sample_article.sentences.filter(reviewable=True))
    suggestions = suggestions_for_sentences(sentences)  # as the page makes them: the whole article
    hint = suggestions[sentences[0].pk]
    prefilled = suggestions[sentences[4].pk]  # "Reports indicate that …"
    assert hint["prefill"] is False
    assert prefilled["prefill"] is True
    assert prefilled["label"] == Label.ATTRIBUTION
    assert prefilled["source_id"] == reports.pk
    page, errors = open_page()
    log_in(page, live_server.url, "reviewer1")
    page.goto(f"{live_server.url}/annotate/articles/{sample_article.pk}/")
    page.wait_for_selector("body[data-ready=true]")
    assert page.inner_text(".sent.current [data-badge]") == f"hint: {Label(hint['label']).label}?"
    assert "Hint, not pre-filled" in page.inner_text("#suggestion")
    press(page, "Enter")  # a hint is not accepted by Enter
    press(page, *["j"] * 4)
    assert current_position(page) == 4
    assert page.inner_text(".sent.current [data-badge]") == "suggested: Attribution"
    assert page.locator("#cur-text mark.span-suggested").count() >= 1  # its spans are shown pre-filled
    press(page, "Enter")
    wait_saved(page)
    annotation = Annotation.objects.get()
    assert annotation.sentence_id == sentences[4].pk
    assert annotation.label == Label.ATTRIBUTION
    assert annotation.source_id == reports.pk
    assert (annotation.source_start, annotation.source_end) == tuple(prefilled["source_span"])
    assert annotation.from_suggestion is True
    assert annotation.suggestion_version == prefilled["model_version"]
    assert errors == []
