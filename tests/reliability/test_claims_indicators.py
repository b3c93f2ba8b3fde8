"""Method version 2: the claims indicators in a score run, frozen with their evidence, and the
version-1 figures unchanged (real database, real ingest, marks, matching and recompute)."""

import pytest
from django.urls import reverse

from annotate.codebook import Label, SourceKind
from annotate.models import Assignment, Outlet, Source
from annotate.services import MarkInput, save_annotation, submit_assignment
from claims import services as claims_services
from claims.models import ArticleLink, ClaimGroup, ClaimMember
from reliability.models import RunClaim, ScoreSnapshot
from reliability.scoring import V1_INDICATORS
from reliability.services import recompute_outlet_scores
from tests.claims.conftest import OTHER, REUTERS, REWRITE

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(ingest, make_user):
    """Reuters' airport story, the aggregator's rewrite of it a day later, and an unrelated BBC
    story; every sentence marked by one reviewer (attributions to the Syrian Observatory on the
    Reuters side, to the 'UK-based monitor' on the aggregator's) and submitted."""
    original = ingest(REUTERS, "reuters.com", "2024-12-01", title="Reuters airport")
    rewrite = ingest(REWRITE, "levantdigest.example", "2024-12-02", title="Aggregator airport")
    other = ingest(OTHER, "bbc.co.uk", "2024-12-03", title="BBC bread")
    claims_services.match_corpus()
    reviewer = make_user("marker")
    sohr = Source.objects.create(name="Syrian Observatory for Human Rights", kind=SourceKind.ORGANISATION)
    monitor = Source.objects.create(name="UK-based monitor", kind=SourceKind.ORGANISATION)
    for article, source in ((original, sohr), (rewrite, monitor), (other, None)):
        assignment = Assignment.objects.create(article=article, reviewer=reviewer)
        for sentence in article.sentences.filter(reviewable=True).order_by("position"):
            said = source is not None and " said" in sentence.text or "according to" in sentence.text
            mark = MarkInput(label=Label.ATTRIBUTION, source=source) if said else MarkInput(label=Label.CLAIM)
            save_annotation(reviewer=reviewer, sentence=sentence, mark=mark)
        submit_assignment(assignment=assignment)
    return {"original": original, "rewrite": rewrite, "other": other}


def figures(run, domain: str) -> dict:
    return ScoreSnapshot.objects.get(run=run, outlet__domain=domain).figures["indicators"]


def test_a_run_records_its_claims_and_scores_them(corpus):
    run = recompute_outlet_scores()
    assert run.method_version == "2"
    recorded = RunClaim.objects.filter(run=run)
    grouped = ClaimMember.objects.filter(group__outlet_count__gte=2)
    assert recorded.count() == grouped.count() >= 8
    assert set(recorded.values_list("outlet__domain", flat=True)) == {"reuters.com", "levantdigest.example"}
    assert not recorded.filter(outlet__domain="levantdigest.example", first=True).exists()
    reuters, aggregator = figures(run, "reuters.com"), figures(run, "levantdigest.example")
    groups = ClaimGroup.objects.filter(outlet_count__gte=2).count()
    assert (reuters["first_share"]["x"], reuters["first_share"]["n"]) == (groups, groups)
    assert (aggregator["first_share"]["x"], aggregator["first_share"]["n"]) == (0, groups)
    assert (aggregator["original_share"]["x"], aggregator["original_share"]["n"]) == (0, 1)
    assert (reuters["original_share"]["x"], reuters["original_share"]["n"]) == (1, 1)
    corroborated = recorded.filter(status="corroborated").values("group_id").distinct().count()
    assert corroborated >= 1  # the Observatory and the "monitor" are two named sources
    assert reuters["weak_claim_share"]["x"] == groups - corroborated
    assert (
        reuters["corroboration_rate"]["x"]
        == recorded.filter(outlet__domain="reuters.com", status="corroborated").count()
    )
    bbc = figures(run, "bbc.co.uk")
    assert (bbc["first_share"]["n"], bbc["original_share"]["x"], bbc["corroboration_rate"]["x"]) == (0, 1, 0)


def test_version_1_figures_do_not_depend_on_claims(corpus):
    with_claims = recompute_outlet_scores()
    ClaimGroup.objects.all().delete()
    ArticleLink.objects.all().delete()
    without = recompute_outlet_scores()
    for domain in ("reuters.com", "levantdigest.example", "bbc.co.uk"):
        a = ScoreSnapshot.objects.get(run=with_claims, outlet__domain=domain)
        b = ScoreSnapshot.objects.get(run=without, outlet__domain=domain)
        assert (a.score, a.score_low, a.score_high) == (b.score, b.score_low, b.score_high)
        for name in V1_INDICATORS:
            assert a.figures["indicators"][name] == b.figures["indicators"][name]
    assert figures(without, "levantdigest.example")["original_share"]["x"] == 1


@pytest.mark.parametrize("indicator", ["original_share", "first_share", "weak_claim_share", "corroboration_rate"])
@pytest.mark.parametrize("part", ["x", "n"])
def test_evidence_lists_as_many_rows_as_the_figure(client, corpus, lead, indicator, part):
    run = recompute_outlet_scores()
    client.force_login(lead)
    for domain in ("reuters.com", "levantdigest.example"):
        response = client.get(
            reverse("reliability:outlet-evidence", args=[domain]), {"indicator": indicator, "part": part}
        )
        assert response.status_code == 200
        assert response.context["page"].paginator.count == figures(run, domain)[indicator][part]


def test_evidence_stays_with_its_run_after_the_groups_change(client, corpus, lead):
    run = recompute_outlet_scores()
    before = figures(run, "levantdigest.example")["weak_claim_share"]
    link = ArticleLink.objects.get(article=corpus["rewrite"], kind="detected")
    claims_services.review_link(link=link, confirm=False, lead=lead)
    group = ClaimGroup.objects.order_by("pk").first()
    claims_services.detach_sentence(sentence=group.members.first().sentence, lead=lead)
    client.force_login(lead)
    url = reverse("reliability:outlet-evidence", args=["levantdigest.example"])
    response = client.get(url, {"indicator": "weak_claim_share", "part": "n", "run": run.pk})
    assert response.context["page"].paginator.count == before["n"]
    later = recompute_outlet_scores()
    assert figures(later, "levantdigest.example")["original_share"]["x"] == 1  # the rejected link no longer counts
    assert figures(later, "levantdigest.example")["weak_claim_share"]["n"] == before["n"] - 1


def test_outlet_page_shows_the_new_indicators_and_an_old_snapshot_only_its_own(client, corpus, lead):
    run = recompute_outlet_scores()
    client.force_login(lead)
    html = client.get(reverse("reliability:outlet-detail", args=["levantdigest.example"])).content.decode()
    for name in ("Original reporting share", "First-to-report share", "Single-source or unsourced claims",
                 "Corroboration rate"):  # fmt: skip
        assert name in html
    snapshot = ScoreSnapshot.objects.get(run=run, outlet=Outlet.objects.get(domain="levantdigest.example"))
    snapshot.method_version = "1"
    snapshot.figures = {
        **snapshot.figures,
        "method_version": "1",
        "indicators": {k: v for k, v in snapshot.figures["indicators"].items() if k in V1_INDICATORS},
    }
    snapshot.save()
    html = client.get(reverse("reliability:outlet-detail", args=["levantdigest.example"])).content.decode()
    assert "Sourcing rate" in html
    assert "First-to-report share" not in html
