"""Issue 11 finding 6: an article's text is immutable once split. Saving a title in the admin as a
browser posts the form (textareas come back with CRLF line endings) once rewrote the text and
misaligned sentences; editing the text itself was accepted. `check_offsets` finds any misalignment."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.forms import Textarea
from django.urls import reverse

from annotate.ingest import ingest_text
from annotate.models import Article, Sentence

pytestmark = pytest.mark.django_db

EMOJI = "Title: Border\n\n🐱 The ministry said 12 died.\nOfficials gave no details.\n\nA second paragraph ends it."


def browser_post_data(response) -> dict:
    """The change form as a browser submits it: every field's current value, textareas with CRLF
    line endings (HTML form submission normalises newlines in a textarea to CRLF)."""
    data = {"_save": "Save"}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        forms.extend(inline.formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if value is None or value is False:
                continue
            if value is True:
                value = "on"
            elif isinstance(field.widget, Textarea):
                value = str(value).replace("\r\n", "\n").replace("\n", "\r\n")
            data[form.add_prefix(name)] = value
    return data


def _offsets_hold(article: Article) -> bool:
    article.refresh_from_db()
    return all(article.text[s.start : s.end] == s.text for s in article.sentences.all())


@pytest.fixture
def admin_client(client, lead):
    client.force_login(lead)
    return client


def test_saving_only_the_title_keeps_the_text_and_every_offset(admin_client, sample_article):
    assert "\n" in sample_article.text
    text = sample_article.text
    url = reverse("admin:annotate_article_change", args=[sample_article.pk])
    data = browser_post_data(admin_client.get(url))
    data["title"] = "A corrected title"
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    sample_article.refresh_from_db()
    assert sample_article.title == "A corrected title"
    assert sample_article.text == text
    assert "\r" not in sample_article.text
    assert _offsets_hold(sample_article)


def test_the_text_cannot_be_edited_and_the_page_says_how_to_correct_it(admin_client, sample_article):
    text, content_hash = sample_article.text, sample_article.content_hash
    url = reverse("admin:annotate_article_change", args=[sample_article.pk])
    page = admin_client.get(url)
    assert "text" not in page.context["adminform"].form.fields
    assert "ingest the corrected text as a new article and retire this one" in page.content.decode()
    data = browser_post_data(page)
    data["text"] = "Someone rewrote the article. " + text
    admin_client.post(url, data)
    sample_article.refresh_from_db()
    assert (sample_article.text, sample_article.content_hash) == (text, content_hash)
    assert _offsets_hold(sample_article)
    assert admin_client.get(reverse("admin:annotate_article_add")).status_code == 403  # ingest adds articles


def test_check_offsets_passes_on_split_articles_and_lists_every_violation(sample_article):
    emoji = ingest_text(EMOJI.encode(), name="emoji.txt", outlet="example.org")[0].article
    out = io.StringIO()
    call_command("check_offsets", stdout=out)
    total = Sentence.objects.count()
    assert f"{total} sentences of 2 articles: every text[start:end] equals its sentence" in out.getvalue()

    # What the admin used to do: CRLF line endings in the stored text.
    Article.objects.filter(pk=sample_article.pk).update(text=sample_article.text.replace("\n", "\r\n"))
    broken = [s for s in sample_article.sentences.all() if s.start > sample_article.text.index("\n")]
    Sentence.objects.filter(pk=emoji.sentences.order_by("position").last().pk).update(text="Not what it says.")
    with pytest.raises(CommandError) as info:
        call_command("check_offsets", stdout=io.StringIO())
    message = str(info.value)
    assert f"{len(broken) + 1} of {total} sentences do not match their article's text" in message
    assert f"article {emoji.pk}" in message
    assert "Not what it says." in message
    assert "content hash" in message  # the CRLF text no longer matches its stored SHA-256


def test_check_offsets_counts_code_points_like_python(db):
    emoji = ingest_text(EMOJI.encode(), name="emoji.txt", outlet="example.org")[0].article
    first = emoji.sentences.order_by("position").first()
    assert first.text.startswith("🐱")
    assert not Sentence.objects.offset_mismatches().exists()
