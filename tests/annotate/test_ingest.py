import io
import json

import pytest
from django.core.management import CommandError, call_command

from annotate.ingest import IngestError, ingest_articles, normalize_domain, parse_jsonl, parse_plain_text
from annotate.models import Article, Outlet, Sentence

pytestmark = pytest.mark.django_db


def run(*args, stdin: bytes | None = None, monkeypatch=None):
    out = io.StringIO()
    call_command("ingest", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("news.sky.com", "news.sky.com"),
        ("https://www.News.Sky.com/story/1", "news.sky.com"),
        ("www.reuters.com", "reuters.com"),
        ("http://bbc.co.uk:8080/x?y=1", "bbc.co.uk"),
        ("  aljazeera.com.  ", "aljazeera.com"),
    ],
)
def test_normalize_domain(value, expected):
    assert normalize_domain(value) == expected


@pytest.mark.parametrize("value", ["", "not a domain", "localhost", "https://"])
def test_normalize_domain_rejects(value):
    with pytest.raises(ValueError):
        normalize_domain(value)


def test_sample_article_end_to_end(sample_bytes, tmp_path):
    path = tmp_path / "sample.txt"
    path.write_bytes(sample_bytes)
    output = run(str(path))
    assert "added article" in output
    article = Article.objects.get()
    assert article.outlet.domain == "news.sky.com"
    assert article.title.startswith("Iran-backed militias have entered Syria")
    sentences = list(article.sentences.all())
    assert len(sentences) == 20
    for sentence in sentences:
        assert article.text[sentence.start : sentence.end] == sentence.text
    assert sentences[-1].text == "Original Source: news.sky.com"
    assert not sentences[-1].reviewable
    assert "Russia’s" in sentences[2].text  # curly apostrophe kept as received
    assert sentences[7].text.startswith("The White Helmets, an opposition rescue service, affirmed")


def test_reingest_is_a_noop_that_says_so(sample_bytes, tmp_path):
    path = tmp_path / "sample.txt"
    path.write_bytes(sample_bytes)
    run(str(path))
    output = run(str(path))
    assert "already ingested as article" in output
    assert "0 article(s) added, 1 skipped" in output
    assert Article.objects.count() == 1
    assert Sentence.objects.count() == 20


def test_same_url_is_not_duplicated(tmp_path):
    (tmp_path / "a.txt").write_text("One thing happened.\nOriginal Source: example.com")
    (tmp_path / "b.txt").write_text("Another text entirely.\nOriginal Source: example.com")
    run(str(tmp_path / "a.txt"), "--url", "https://example.com/x")
    output = run(str(tmp_path / "b.txt"), "--url", "https://example.com/x")
    assert "already ingested" in output
    assert Article.objects.count() == 1


def test_overrides_and_title_line(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("Title: A headline\nBody sentence one. Body two.\nOriginal Source: news.sky.com")
    run(str(path), "--outlet", "https://www.Example.org/a", "--published", "2024-12-01")
    article = Article.objects.get()
    assert article.title == "A headline"
    assert article.outlet.domain == "example.org"
    assert str(article.published) == "2024-12-01"
    assert not article.text.startswith("Title:")


def test_folder_and_jsonl_with_summary(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Alpha happened today.\nOriginal Source: a.com")
    records = [
        {"title": "B", "url": "https://b.com/1", "outlet": "b.com", "published": "2024-01-02", "text": "Beta rose."},
        {"title": "C", "url": "https://www.c.com/2", "published": None, "text": "Gamma fell. Delta rose."},
    ]
    (folder / "more.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    output = run(str(folder))
    assert "3 article(s) added, 0 skipped" in output
    assert set(Outlet.objects.values_list("domain", flat=True)) == {"a.com", "b.com", "c.com"}


def test_dry_run_json_writes_nothing(sample_bytes, tmp_path):
    path = tmp_path / "sample.txt"
    path.write_bytes(sample_bytes)
    output = json.loads(run(str(path), "--dry-run", "--format", "json"))
    assert Article.objects.count() == 0
    (article,) = output["articles"]
    assert set(article) >= {"outlet", "title", "url", "text", "sentences"}
    assert article["outlet"] == "news.sky.com"
    for s in article["sentences"]:
        assert set(s) == {"position", "start", "end", "text", "reviewable"}
        assert article["text"][s["start"] : s["end"]] == s["text"]
    assert article["sentences"][-1]["reviewable"] is False


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"   \n ", "empty text"),
        ("binary.txt", b"abc\x00def", "binary data"),
        ("latin1.txt", "Caf\u00e9 news.\nOriginal Source: a.com".encode("latin-1"), "not valid UTF-8"),
        ("nooutlet.txt", b"A sentence without a trailer.", "no outlet"),
        ("bad.jsonl", b'{"title": "x", "text": "ok.", "outlet": "a.com"}\n{not json}\n', "line 2: malformed JSON"),
        (
            "unknown.jsonl",
            b'{"title": "x", "text": "ok.", "outlet": "a.com", "author": "me"}\n',
            "unknown field(s) author",
        ),
        ("notobj.jsonl", b'["a"]\n', "must be a JSON object"),
        ("date.jsonl", b'{"text": "ok.", "outlet": "a.com", "published": "yesterday"}\n', "not an ISO date"),
        ("url.jsonl", b'{"text": "ok.", "outlet": "a.com", "url": "ftp://x"}\n', "not an http(s) URL"),
    ],
)
def test_bad_input_names_file_and_line_and_writes_nothing(tmp_path, name, content, message):
    good = tmp_path / "0-good.txt"
    good.write_text("A fine sentence.\nOriginal Source: good.com")
    bad = tmp_path / name
    bad.write_bytes(content)
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("ingest", str(good), str(bad), stdout=io.StringIO(), stderr=err)
    assert name in err.getvalue()
    assert message in err.getvalue()
    assert Article.objects.count() == 0
    assert Outlet.objects.count() == 0


def test_oversized_file_is_refused(tmp_path, settings):
    settings.INGEST_MAX_BYTES = 100
    path = tmp_path / "big.txt"
    path.write_text("Words. " * 50 + "\nOriginal Source: a.com")
    with pytest.raises(IngestError, match="over the 100-byte limit"):
        parse_plain_text(path.read_bytes(), origin=str(path))


def test_missing_path_is_a_clear_error():
    with pytest.raises(CommandError, match="no such file or folder"):
        run("/nonexistent/file.txt")


def test_stdin(monkeypatch):
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"From stdin.\nOriginal Source: std.in")))
    output = run("-")
    assert "added article" in output
    assert Article.objects.get().outlet.domain == "std.in"


def test_jsonl_error_names_line():
    raw = b'{"text": "ok.", "outlet": "a.com"}\n\n{"text": "", "outlet": "a.com"}\n'
    with pytest.raises(IngestError) as info:
        parse_jsonl(raw, origin="x.jsonl")
    assert str(info.value) == "x.jsonl, line 3: empty text"


@pytest.mark.django_db
def test_articles_ingested_is_sent_once_after_commit_with_the_new_articles(django_capture_on_commit_callbacks):
    from annotate.signals import articles_ingested

    received = []

    def listener(sender, article_ids, **kwargs):
        received.append(article_ids)

    articles_ingested.connect(listener)
    try:
        lines = "\n".join(
            json.dumps({"title": f"T{i}", "outlet": "example.org", "text": f"Body number {i} of the test."})
            for i in range(3)
        ).encode()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            results = ingest_articles(parse_jsonl(lines, origin="t"))
        assert received == []  # nothing before the commit
        for callback in callbacks:
            callback()
        assert received == [[r.article.pk for r in results]]
        with django_capture_on_commit_callbacks(execute=True):
            ingest_articles(parse_jsonl(lines, origin="t"))  # all already stored: nothing new
        assert len(received) == 1
    finally:
        articles_ingested.disconnect(listener)
