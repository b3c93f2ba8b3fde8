"""Articles for claims tests, ingested the real way (parse, split, store)."""

from __future__ import annotations

import pytest

from annotate.ingest import ingest_articles, parse_plain_text

REUTERS = "\n".join(
    [
        "Rebel fighters took control of Aleppo's international airport on Sunday, "
        "according to the Syrian Observatory for Human Rights.",
        "The Britain-based monitor said government troops had withdrawn from several districts in the city overnight.",
        'Syria\'s defence ministry said its forces were "redeploying" to prepare a counter-attack.',
        "The airport had been used by Iranian cargo flights carrying supplies for allied militias.",
        "The fall of the airport would make it harder for the government to resupply its remaining positions "
        "in the north.",
    ]
)
REWRITE = "\n".join(
    [
        "Rebel fighters seized Aleppo's international airport on Sunday, the Syrian Observatory for Human Rights said.",
        "The UK-based monitor said government troops withdrew from several districts of the city overnight.",
        'Syria\'s defence ministry said its forces were "redeploying" ahead of a counter-attack.',
        "Iranian cargo flights carrying supplies for allied militias had used the airport.",
        "Losing the airport makes it harder for the government to resupply its remaining positions in the north.",
    ]
)
OTHER = "\n".join(
    [
        "Residents of Aleppo queued for hours outside bakeries on Tuesday as the price of bread doubled.",
        "A shopkeeper in the Aziziyah district said he had run out of flour.",
        "The World Food Programme said it had paused some distributions in the city.",
        "Several neighbourhoods have been without power since the weekend.",
    ]
)


@pytest.fixture
def ingest(db):
    """ingest(text, outlet, published, title=…) -> Article, through the real parser and store."""

    def make(text: str, outlet: str, published: str = "2024-12-01", title: str = ""):
        item = parse_plain_text(text.encode(), origin="test", outlet=outlet, published=published, title=title)
        return ingest_articles([item])[0].article

    return make
