"""The labelled pairs and the matcher's measured quality at the default thresholds."""

from collections import Counter

from claims.evaluation import article_texts, evaluate, load_pairs, score_pairs
from claims.matching import AUTO_THRESHOLD, REVIEW_THRESHOLD


def test_the_labelled_set_is_whole_and_every_sentence_is_in_its_article():
    pairs = load_pairs()
    texts = article_texts()
    assert len(pairs) == 444
    assert Counter(pair.same for pair in pairs) == {False: 384, True: 60}
    assert {pair.split for pair in pairs} == {"dev", "test"}
    for pair in pairs:
        assert pair.a_text in texts[pair.a_article]
        assert pair.b_text in texts[pair.b_article]


def test_automatic_grouping_meets_the_precision_bar_and_review_widens_recall():
    scored = score_pairs(load_pairs())
    automatic, review = evaluate(scored, AUTO_THRESHOLD), evaluate(scored, REVIEW_THRESHOLD)
    assert automatic.precision >= 0.90
    assert review.recall > automatic.recall
    assert automatic.true_positives + automatic.false_negatives == 60


def test_the_precision_the_method_page_states_is_the_measured_one():
    from claims.matching import MEASURED_PRECISION

    result = evaluate(score_pairs(load_pairs()), AUTO_THRESHOLD)
    predicted = result.true_positives + result.false_positives
    stated = f"{result.precision:.2f} ({result.true_positives} of {predicted}), recall {result.recall:.2f}"
    assert stated == MEASURED_PRECISION
