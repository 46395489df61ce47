from __future__ import annotations

from assistant.guard.evidence import best_passage, content_terms, evidence_window


def test_window_is_the_stretch_that_holds_the_claim() -> None:
    filler = " ".join(f"Clause {i} covers unrelated matters of form." for i in range(30))
    passage = filler + " The termination fee is $4,500 payable within 30 days. " + filler
    window = evidence_window("The termination fee is $4,500.", [passage], max_chars=200)
    assert "termination fee is $4,500" in window
    assert len(window) <= 200


def test_window_picks_the_passage_with_the_numbers() -> None:
    passages = ["Revenue rose strongly in the year.", "Revenue was 12.5 million in 2019."]
    assert evidence_window("Revenue was 12.5 million in 2019.", passages) == passages[1]


def test_table_rows_stay_rows() -> None:
    table = "Item | 2019 | 2018\nRevenue | 100 | 90\nCosts | 50 | 40"
    assert "Revenue | 100 | 90" in evidence_window("Revenue was 100 in 2019.", [table], 30)


def test_content_terms_drop_stop_words_and_separators() -> None:
    assert content_terms("The fee was 1,500 and the term") == {"fee", "1500", "term"}


def test_empty_evidence_gives_an_empty_window() -> None:
    assert evidence_window("Anything.", []) == ""


def test_the_best_passage_holds_most_of_the_sentence_and_numbers_count_double() -> None:
    passages = [
        "The tenant pays rent monthly by bank transfer.",
        "A deposit of 2,400 euros is paid before moving in.",
        "Rent of 2,400 euros is paid monthly.",
    ]
    assert best_passage("The deposit is 2,400 euros.", passages) == 1
    assert best_passage("Rent is paid monthly by transfer.", passages) == 0
    assert best_passage("Pets need written consent of the landlord.", passages) is None
    assert best_passage("", passages) is None
