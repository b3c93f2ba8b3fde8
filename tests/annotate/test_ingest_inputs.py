"""Ingest against hostile and unlucky input (issue 12.3-12.6), corpora larger than the per-article
limit (17.5) and bounded write transactions (17, "SQLite at 100k"). Runs on SQLite and PostgreSQL
alike: every rule must give the same answer on both."""

import io
import json
import sys

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection

from annotate import ingest
from annotate.models import Article, Outlet, Sentence, Topic

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def jsonl(path, *records) -> str:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")
    return str(path)


GOOD = {"text": "A fine sentence. Another one.", "outlet": "good.com"}


# --- 12.3: what PostgreSQL cannot store is refused on every database, before anything is written --


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"text": "A sentence.\u0000 Another.", "outlet": "a.com"}, "text: contains a NUL character"),
        ({"text": "Fine text.", "outlet": "a.com", "title": "a\u0000b"}, "title: contains a NUL character"),
        ('{"text": "A lone \\ud800 surrogate.", "outlet": "a.com"}', "text: contains an unpaired surrogate (\\ud800)"),
        ('{"text": "Fine.", "outlet": "a.com", "topic": "x\\udfff"}', "topic: contains an unpaired surrogate"),
        ({"text": "Fine text.", "outlet": "a.com", "url": "https://a.com/" + "x" * 2000}, "url: 2,014 characters"),
        ({"text": "Fine text.", "outlet": ("a" * 60 + ".") * 5 + "com"}, "outlet: domain of 308 characters"),
        ({"text": "Fine text.", "outlet": "a.com", "topic": "t" * 201}, "topic: 201 characters, over the 200"),
        ({"text": "Fine text.", "outlet": "a.com", "title": "t" * 501}, "title: 501 characters, over the 500"),
        ({"text": "\u200b\u200b \u200d\ufeff\n\u2060", "outlet": "a.com"}, "empty text"),
    ],
)
def test_values_postgresql_cannot_store_are_refused_everywhere(tmp_path, record, message):
    path = jsonl(tmp_path / "bad.jsonl", GOOD, record)
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("ingest", path, stdout=io.StringIO(), stderr=err)
    assert f"bad.jsonl, line 2: {message}" in err.getvalue()
    assert Article.objects.count() == Outlet.objects.count() == Topic.objects.count() == 0


@pytest.mark.parametrize("url", ["http://", "https:///news/1", "https://:80/x"])
def test_a_url_without_a_host_is_refused(tmp_path, url):
    path = jsonl(tmp_path / "bad.jsonl", {**GOOD, "url": url})
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("ingest", path, stdout=io.StringIO(), stderr=err)
    assert f"bad.jsonl, line 1: url: {url!r} is not an http(s) URL" in err.getvalue()
    assert Article.objects.count() == 0


def test_every_bad_line_of_a_corpus_is_reported(tmp_path):
    path = jsonl(tmp_path / "c.jsonl", GOOD, {"text": "x", "outlet": "nope"}, GOOD, "{broken", {"text": " "})
    err = io.StringIO()
    with pytest.raises(CommandError, match="3 input"):
        call_command("ingest", path, stdout=io.StringIO(), stderr=err)
    assert [line.split(", line ")[1].split(":")[0] for line in err.getvalue().splitlines()] == ["2", "4", "5"]


@pytest.mark.parametrize("name", ["articles.json", "articles.txt", "articles"])
def test_a_json_array_is_refused_not_stored_as_one_article(tmp_path, name):
    # json.dump(records) / pandas' orient="records": one article of JSON source text before.
    path = tmp_path / name
    path.write_text("\ufeff" + json.dumps([GOOD, {**GOOD, "text": "Other."}], indent=1), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("ingest", str(path), "--outlet", "good.com", stdout=io.StringIO(), stderr=err)
    assert f"{name}: a JSON array: ingest reads JSON Lines" in err.getvalue()
    assert Article.objects.count() == 0


def test_a_json_array_is_refused_by_the_api_too(client, lead):
    client.force_login(lead)
    response = client.post("/api/v1/articles/", {"text": json.dumps([GOOD]), "outlet": "good.com"}, "application/json")
    assert response.status_code == 400
    assert "a JSON array" in response.json()["text"]
    assert Article.objects.count() == 0


# --- 12.4: several files: all checked first; a database failure reports each file, exit non-zero -


def test_a_bad_file_among_good_ones_stores_nothing(tmp_path):
    (tmp_path / "good.txt").write_text("A fine sentence.\nOriginal Source: good.com")
    bad = jsonl(tmp_path / "bad.jsonl", GOOD, '{"text": "NUL \\u0000 here.", "outlet": "bad.com"}')
    (tmp_path / "good2.txt").write_text("Another fine sentence.\nOriginal Source: good2.com")
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command(
            "ingest", str(tmp_path / "good.txt"), bad, str(tmp_path / "good2.txt"), stdout=io.StringIO(), stderr=err
        )
    assert "bad.jsonl, line 2: text: contains a NUL character" in err.getvalue()
    assert Article.objects.count() == 0


def test_a_database_failure_mid_ingest_names_each_file_and_stops_cleanly(tmp_path, settings, monkeypatch):
    settings.INGEST_BATCH_ARTICLES = 1
    paths = []
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.txt").write_text(f"Story {name} happened.\nOriginal Source: {name}.com")
        paths.append(str(tmp_path / f"{name}.txt"))
    original, calls = ingest._insert_sentences, []

    def failing(rows):
        calls.append(len(rows))
        if len(calls) == 2:
            raise DatabaseError("disk full (injected)")
        original(rows)

    monkeypatch.setattr(ingest, "_insert_sentences", failing)
    err = io.StringIO()
    with pytest.raises(CommandError, match="Run the same command again"):
        call_command("ingest", *paths, stdout=io.StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0] == f"{paths[0]}: 1 added, 0 skipped"
    assert lines[1].startswith(f"{paths[1]}: 0 added, 0 skipped before the failure: {paths[1]}: could not store:")
    assert "disk full (injected)" in lines[1]
    assert lines[2] == f"{paths[2]}: not reached"
    assert list(Article.objects.values_list("outlet__domain", flat=True)) == ["a.com"]
    assert Sentence.objects.filter(article__outlet__domain="b.com").count() == 0

    monkeypatch.setattr(ingest, "_insert_sentences", original)
    out, _ = run(*paths)
    assert "2 article(s) added, 1 skipped" in out
    assert Article.objects.count() == 3


# --- 12.5: --url names the outlet --------------------------------------------------------------


def test_url_names_the_outlet_when_there_is_no_trailer(tmp_path):
    path = tmp_path / "article.txt"
    path.write_text("A story without a trailer. It goes on.")
    run("--url", "https://www.example.org/a/b", str(path))
    article = Article.objects.get()
    assert article.outlet.domain == "example.org"
    assert article.url == "https://www.example.org/a/b"


# --- 12.6: a copy that differs only in whitespace is a duplicate ------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "Officials said  the bridge reopened. Traffic rose.\nOriginal Source: example.com",
        "Officials said the bridge reopened.  Traffic rose.\r\n\r\nOriginal Source: example.com",
        "  Officials said the bridge reopened.\tTraffic rose. \nOriginal Source: example.com\n\n",
        "Officials said the\u200b bridge reopened. Traffic rose.\nOriginal Source: example.com",
    ],
)
def test_whitespace_variants_are_duplicates(tmp_path, variant):
    (tmp_path / "a.txt").write_text("Officials said the bridge reopened. Traffic rose.\nOriginal Source: example.com")
    (tmp_path / "b.txt").write_bytes(variant.encode())
    run(str(tmp_path / "a.txt"))
    out, _ = run(str(tmp_path / "b.txt"))
    assert f"already ingested as article {Article.objects.get().pk}" in out
    assert Article.objects.count() == 1


def test_near_duplicates_within_one_corpus_are_stored_once(tmp_path):
    path = jsonl(tmp_path / "c.jsonl", GOOD, {**GOOD, "text": GOOD["text"].replace(" ", "   ")})
    out, _ = run(path)
    assert "1 article(s) added, 1 skipped" in out
    assert "line 2: already ingested as article" in out


def test_different_texts_are_not_duplicates(tmp_path):
    path = jsonl(tmp_path / "c.jsonl", GOOD, {**GOOD, "text": GOOD["text"].replace("fine", "finer")})
    out, _ = run(path)
    assert "2 article(s) added" in out


# --- issue 11: line endings are \n in what is stored ----------------------------------------


def test_line_endings_become_newlines(tmp_path):
    path = jsonl(tmp_path / "c.jsonl", {"text": "First line.\r\nSecond line.\rThird line.", "outlet": "a.com"})
    run(path)
    article = Article.objects.get()
    assert article.text == "First line.\nSecond line.\nThird line."
    assert [s.text for s in article.sentences.order_by("position")] == ["First line.", "Second line.", "Third line."]


# --- 17.5: a corpus larger than INGEST_MAX_BYTES streams; the limit is per article ----------


def test_a_corpus_larger_than_the_limit_is_ingested_article_by_article(tmp_path, settings):
    settings.INGEST_MAX_BYTES = 300
    records = [{"text": f"Story {i} happened today. It was news.", "outlet": f"o{i % 3}.com"} for i in range(40)]
    path = jsonl(tmp_path / "corpus.jsonl", *records)
    assert (tmp_path / "corpus.jsonl").stat().st_size > 5 * settings.INGEST_MAX_BYTES
    out, _ = run(path)
    assert "40 article(s) added" in out
    assert Sentence.objects.count() == 80


def test_one_article_over_the_limit_is_named_by_its_line(tmp_path, settings):
    settings.INGEST_MAX_BYTES = 300
    path = jsonl(tmp_path / "corpus.jsonl", GOOD, {"text": "Long. " * 100, "outlet": "a.com"}, GOOD)
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("ingest", path, stdout=io.StringIO(), stderr=err)
    assert "corpus.jsonl, line 2: line is 631 bytes, over the 300-byte limit" in err.getvalue()


def test_the_limit_is_the_article_not_its_newline(tmp_path, settings):
    line = json.dumps({**GOOD, "text": "Exactly at the limit. " * 10}).encode()
    (tmp_path / "c.jsonl").write_bytes(line + b"\n" + line[:-1] + b' "}\n')
    settings.INGEST_MAX_BYTES = len(line)
    found = list(ingest.read_records(ingest.Input("c.jsonl", path=tmp_path / "c.jsonl")))
    assert isinstance(found[0], ingest.ArticleInput)
    assert str(found[1]) == f"c.jsonl, line 2: line is {len(line) + 2:,} bytes, over the {len(line):,}-byte limit"


def test_a_long_line_is_never_read_whole(tmp_path, settings):
    settings.INGEST_MAX_BYTES = 1000
    (tmp_path / "c.jsonl").write_bytes(b'{"text": "' + b"x" * 5_000_000 + b'"}\n' + json.dumps(GOOD).encode() + b"\n")
    reads = []

    class Recording(io.BufferedReader):
        def readline(self, size=-1):
            reads.append(size)
            return super().readline(size)

    source = ingest.Input("c.jsonl", path=tmp_path / "c.jsonl")
    source.open = lambda: Recording(io.FileIO(tmp_path / "c.jsonl"))
    found = list(ingest.read_records(source))
    assert str(found[0]) == "c.jsonl, line 1: line is 5,000,012 bytes, over the 1,000-byte limit"
    assert isinstance(found[1], ingest.ArticleInput)
    assert reads
    assert all(0 < size <= 1 << 20 for size in reads)  # never an unbounded readline


def test_stdin_is_checked_then_stored(monkeypatch):
    lines = (json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "text": "Second story."}) + "\n").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines)))
    out, _ = run("-")
    assert "2 article(s) added" in out


# --- 17, SQLite at 100k: bounded transactions, never one for the whole ingest ----------------


@pytest.mark.django_db(transaction=True)
def test_articles_are_stored_in_bounded_transactions(settings):
    settings.INGEST_BATCH_ARTICLES = 10
    items = [ingest.parse_record({**GOOD, "text": f"Story {i} happened."}) for i in range(35)]
    results = ingest.store_articles(iter(items))
    for done in range(1, 36):
        next(results)
        if done % 10 == 0:  # a batch is committed and no transaction stays open between batches
            assert not connection.in_atomic_block
            assert Article.objects.count() == done
    assert Article.objects.count() == 35
    assert next(results, None) is None


def test_one_batch_costs_a_constant_number_of_queries(django_assert_max_num_queries):
    few = [ingest.parse_record({**GOOD, "text": f"Story {i}. It happened.", "topic": "t"}) for i in range(3)]
    many = [ingest.parse_record({**GOOD, "text": f"Tale {i}. It happened.", "topic": "t"}) for i in range(60)]
    with django_assert_max_num_queries(12):
        ingest.ingest_articles(few)
    with django_assert_max_num_queries(12):
        ingest.ingest_articles(many)
    assert Sentence.objects.count() == 2 * 63
