"""Declared credits in article text (no database)."""

import pytest

from claims.credits import domain_of, find_credits


@pytest.mark.parametrize(
    ("text", "domains"),
    [
        ("Body.\nOriginal Source: news.sky.com", ["news.sky.com"]),
        ("Body.\nOriginal Source: https://www.reuters.com/world/x", ["reuters.com"]),
        ("Body.\nSome information provided by AFP and Reuters.", ["afp.com", "reuters.com"]),
        ("Rebels advanced on Hama, officials said (via Reuters).", ["reuters.com"]),
        ("Body text.\nReporting by Reuters; editing by Jane Doe", ["reuters.com"]),
        ("Body.\nThe Associated Press contributed to this report.", ["apnews.com"]),
        ("Body.\nAdditional reporting from Al Jazeera and AFP", ["aljazeera.com", "afp.com"]),
    ],
)
def test_credit_lines_name_the_credited_outlets(text, domains):
    assert [credit.domain for credit in find_credits(text, own_domain="levantdigest.example")] == domains


def test_a_credit_to_the_articles_own_outlet_or_to_a_person_is_no_credit():
    assert find_credits("Body.\nOriginal Source: news.sky.com", own_domain="sky.com") == []
    assert find_credits("Body.\nReporting by the BBC Middle East desk", own_domain="bbc.co.uk") == []
    assert find_credits("Body.\nReporting by Jane Doe in Beirut; editing by John Roe", own_domain="x.example") == []
    assert find_credits("He spoke via a video link.", own_domain="x.example") == []


def test_stored_outlets_are_found_by_name():
    credits = find_credits("Body.\nSome information provided by Levant Digest.", own_domain="bbc.co.uk",
                           outlets={"levant digest": "levantdigest.example"})  # fmt: skip
    assert [(c.domain, c.name, c.line) for c in credits] == [
        ("levantdigest.example", "Levant Digest", "Some information provided by Levant Digest.")
    ]


def test_domain_of_normalises_urls_and_rejects_words():
    assert domain_of("https://www.bbc.co.uk/news/world") == "bbc.co.uk"
    assert domain_of("Reuters") is None
