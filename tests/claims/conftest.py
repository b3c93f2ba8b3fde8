"""Article texts for claims tests (the `ingest` fixture in tests/conftest.py stores them the real way)."""

from __future__ import annotations

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
