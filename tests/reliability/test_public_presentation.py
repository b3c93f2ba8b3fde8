"""Public score pages read correctly by a non-statistician (issue 14, items 11-14): agreement
named as what it is and kept apart from the outlet's score, one interval per figure with a plain
explanation and the raw x / n, no empty or unlabelled charts, no links inside the forest plot."""

import re
from datetime import date

import pytest
from django.urls import reverse

from annotate.codebook import Label
from reliability import charts
from reliability.services import recompute_outlet_scores
from reliability.templatetags.scores import agreement

from .conftest import example_one, scored_outlet

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(build):
    """A scored outlet whose reviewers disagree (low agreement), a thin outlet, a published run."""
    outlet = scored_outlet(build, "scored.example")
    # Disagreements on a sixth article, as many sentences as all the others: agreement falls low.
    article = build.article(outlet, 80, published=date(2024, 12, 5))
    for sentence, labels in zip(
        article.sentences.order_by("position"),
        [[Label.CLAIM, Label.ANALYSIS], [Label.ANALYSIS, Label.OTHER]] * 40,
        strict=True,
    ):
        build.marks(sentence, labels)
    build.outlet("thin.example")
    run = recompute_outlet_scores()
    run.published = True
    run.save()
    return run


def test_agreement_reads_as_the_reviewers_agreement_not_a_verdict_on_the_outlet(client, published):
    html = client.get(reverse("reliability:outlet-list")).content.decode()
    assert "not reliable" not in html
    assert "reviewer agreement: low" in html
    # Its own column, set apart from the outlet's score, with a heading that says whose it is.
    assert (
        '<th scope="col" class="review-quality"><a href="?sort=alpha">Reviewer agreement</a><br>'
        '<span class="meta">about the review, not the outlet</span></th>'
    ) in html
    assert re.search(
        r'<td class="review-quality"[^>]*>reviewer agreement: low <span class="meta">α [0-9.]+</span>', html
    )
    outlet_html = client.get(reverse("reliability:outlet-detail", args=["scored.example"])).content.decode()
    assert "not reliable" not in outlet_html
    assert "Reviewer agreement: <strong>low</strong>" in outlet_html
    assert "It describes the reviewers, not the outlet:" in outlet_html


def test_agreement_words():
    assert agreement(0.91) == "reviewer agreement: high"
    assert agreement(0.7) == "reviewer agreement: moderate"
    assert agreement(2 / 3) == "reviewer agreement: moderate"  # shown as 0.667: tentative
    assert agreement(0.2) == "reviewer agreement: low"
    assert agreement(None) == "reviewer agreement: not measured (too few sentences marked twice)"


def test_one_interval_per_figure_with_a_plain_explanation_and_the_raw_counts(client, published):
    html = client.get(reverse("reliability:outlet-detail", args=["scored.example"])).content.decode()
    table = html[
        html.index('<table class="indicators') : html.index("</table>", html.index('<table class="indicators'))
    ]
    head = table[: table.index("</thead>")]
    assert head.count("interval") == 1  # one interval column
    assert "Beta" not in html
    assert "bootstrap" not in table
    assert "from 30 / 50 sentences" in table  # sourcing rate A / R, raw beside the smoothed rate
    assert "raw 60.0%" in table
    assert 'id="interval-explained"' in html
    explanation = re.search(r'<p class="explain" id="interval-explained">(.*?)</p>', html, re.S).group(1)
    assert "9 times out of 10" in explanation
    method = client.get(reverse("reliability:method")).content.decode()
    assert "Beta interval" in method  # the other interval is explained on the method page


def test_the_forest_plot_has_no_links_inside_and_is_labelled(client, published):
    html = client.get(reverse("reliability:outlet-list")).content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "<a " not in svg
    assert "Reliability score (0–100)" in svg
    assert re.search(r'<svg [^>]*role="img" aria-labelledby="forest-title forest-desc"', html)
    desc = re.search(r'<desc id="forest-desc">(.*?)</desc>', svg, re.S).group(1)
    assert "scored.example: 6" in desc  # each outlet's score in words
    assert "thin.example: insufficient evidence" in desc
    # The outlets are links in the table below, not in the picture.
    assert '<a href="/outlets/scored.example/">scored.example</a>' in html


def test_no_empty_charts_and_each_chart_has_axes_units_dates_and_a_text_alternative(client, build, published):
    html = client.get(reverse("reliability:outlet-detail", args=["scored.example"])).content.decode()
    # The months: November has five articles (a score), December one (fewer than the minimum):
    # one month with a score is no line, so no chart, and the table says why.
    assert 'id="trend-chart"' not in html
    assert "A trend chart needs two months with a score" in html
    for figure in re.findall(r"<figure.*?</figure>", html, re.S):
        svg = re.search(r"<svg [^>]*>", figure).group(0)
        assert 'role="img"' in svg
        labelledby = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
        for ref in labelledby:
            assert f'id="{ref}"' in figure
        assert "<figcaption" in figure

    # A second published run: the score history has two points, drawn with labelled axes.
    example_one(build, build.outlet("other.example"))
    second = recompute_outlet_scores()
    second.published = True
    second.save()
    html = client.get(reverse("reliability:outlet-detail", args=["scored.example"])).content.decode()
    history = re.search(r"<figure [^>]*id=\"history-chart\".*?</figure>", html, re.S).group(0)
    assert "Score (0–100)" in history
    assert "Run date" in history
    assert second.computed_at.strftime("%Y-%m-%d") in history
    labels = re.findall(r'<text [^>]*text-anchor="(\w+)"[^>]*>(\d{4}-\d\d-\d\d[^<]*)</text>', history)
    assert [anchor for anchor, _ in labels][-1] == "end"
    assert "in each published run" not in history  # a lead's history has drafts too
    assert "<table" in html[html.index('id="history-chart"') :]  # the numbers as a table too


def test_trend_line_geometry_says_when_there_is_no_line():
    assert charts.trend_line([("2024-11", 60.0)])["has_line"] is False
    assert charts.trend_line([("2024-11", 60.0), ("2024-12", None)])["has_line"] is False
    assert charts.trend_line([("2024-11", 60.0), ("2024-12", 70.0)])["has_line"] is True
    assert charts.trend_line([])["has_line"] is False


def test_trend_line_ends_its_last_label_at_its_point():
    """A run date with its time ("2026-11-29 05:45", ~90 px) centred on the last point overran the
    40 px right margin and was cut off; the last label ends at its point, the others are centred."""
    runs = charts.trend_line([("2026-11-29 05:41", 64.3), ("2026-11-29 05:42", 64.5), ("2026-11-29 05:45", 64.3)])
    assert [d["anchor"] for d in runs["dots"]] == ["middle", "middle", "end"]
    assert runs["dots"][-1]["x"] == runs["right"]
    assert charts.trend_line([("2024-11", 60.0)])["dots"][0]["anchor"] == "middle"  # one point: centred


def test_each_indicator_counts_in_its_own_unit(client, published):
    """Method v2's claims indicators count articles or shared claims, not sentences: the raw x / n
    beside each rate says which (it said "sentences" for all nine)."""
    html = client.get(reverse("reliability:outlet-detail", args=["scored.example"])).content.decode()
    table = html[
        html.index('<table class="indicators') : html.index("</table>", html.index('<table class="indicators'))
    ]
    rows = {
        re.search(r'<th scope="row">(.*?)</th>', row).group(1): row
        for row in re.findall(r"<tr>.*?</tr>", table, re.S)
        if '<th scope="row">' in row
    }
    assert re.search(r"from \d+ / \d+ articles", rows["Original reporting share"])
    assert re.search(r"from \d+ / \d+ claims shared with other outlets", rows["First-to-report share"])
    assert re.search(r"from \d+ / \d+ claims shared with other outlets", rows["Single-source or unsourced claims"])
    assert re.search(r"from \d+ / \d+ sentences", rows["Corroboration rate"])
    assert re.search(r"from \d+ / \d+ sentences", rows["Sourcing rate"])


def test_the_rewrites_section_reads_as_counts_and_a_percentage_and_fits_a_phone(client, build, published):
    """The outlet page's original reporting section (claims app): the raw share as x of n articles
    and a percentage (it printed a bare 0.83), and its table turns into cards on a phone with
    row headers like every other table on the page."""
    html = client.get(reverse("reliability:outlet-detail", args=["scored.example"])).content.decode()
    section = html[html.index('id="rewrites"') :]
    assert re.search(r"Original reporting: <strong>\d+ of \d+ articles</strong> \(\d+\.\d%", section)
    assert "share 0." not in section
