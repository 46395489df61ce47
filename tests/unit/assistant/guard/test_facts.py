from __future__ import annotations

import time
from decimal import Decimal

import pytest

from assistant.guard.facts import (
    DateValue,
    EvidenceIndex,
    Fact,
    FactDetector,
    FactKind,
    Quantity,
    extract_facts,
    support_probability,
)
from assistant.guard.protocols import DetectionInput, SentenceToCheck, Span


def facts_of(text: str, kind: FactKind | None = None) -> list[Fact]:
    return [fact for fact in extract_facts(text) if kind is None or fact.kind is kind]


def texts_of(text: str, kind: FactKind | None = None) -> list[str]:
    return [fact.text for fact in facts_of(text, kind)]


def supported(claim: str, *evidence: str) -> bool:
    index = EvidenceIndex.build(evidence)
    facts = [fact for fact in extract_facts(claim) if fact.kind is not FactKind.PARTY]
    facts = facts or list(extract_facts(claim))
    assert facts, f"no fact found in {claim!r}"
    return all(index.supports(fact) for fact in facts)


def judge(sentence: str, *evidence: str) -> tuple[float, tuple[Span, ...], tuple[str, ...]]:
    item = DetectionInput("q", (SentenceToCheck(sentence, tuple(evidence)),), ())
    verdict = FactDetector().detect(item)[0]
    return verdict.probability, verdict.unsupported, verdict.reasons


# --- extraction ---------------------------------------------------------------------------------


def test_spans_point_at_the_fact_text() -> None:
    text = "On March 3, 2021 the Licensee paid $1.2m (12.5%) to Mount Knowledge Holdings Inc. [2]."
    facts = extract_facts(text)
    assert facts
    for fact in facts:
        assert text[fact.span.start : fact.span.end] == fact.text
    assert [f.text for f in facts] == [
        "March 3, 2021",
        "Licensee",
        "$1.2m",
        "12.5%",
        "Mount Knowledge Holdings Inc.",
    ]
    assert facts[2].span == Span(text.index("$1.2m"), text.index("$1.2m") + 5)


def test_plain_numbers_and_negatives_in_parentheses() -> None:
    facts = facts_of("The loss was (1,234) against 56.70 and 3 units.")
    assert [(f.kind, f.text) for f in facts] == [
        (FactKind.NUMBER, "(1,234)"),
        (FactKind.NUMBER, "56.70"),
        (FactKind.NUMBER, "3"),
    ]
    assert facts[0].value == Quantity(mantissa=Decimal(1234))


@pytest.mark.parametrize(
    ("text", "surface", "value"),
    [
        ("It cost $1,496.5 million.", "$1,496.5 million", 1_496_500_000),
        ("It cost $1.2m.", "$1.2m", 1_200_000),
        ("It cost €3bn.", "€3bn", 3_000_000_000),
        ("It cost US$ 40 thousand.", "US$ 40 thousand", 40_000),
        ("It cost 25 dollars.", "25 dollars", 25),
        ("It cost USD 7.5 billion.", "USD 7.5 billion", 7_500_000_000),
    ],
)
def test_amounts_keep_currency_and_scale(text: str, surface: str, value: int) -> None:
    (fact,) = facts_of(text)
    assert fact.kind is FactKind.AMOUNT
    assert fact.text == surface
    assert isinstance(fact.value, Quantity)
    assert fact.value.value == value


@pytest.mark.parametrize(
    "text", ["rose 12.5%", "rose 12.5 %", "rose 12.5 percent", "rose 12.5 per cent"]
)
def test_percentages(text: str) -> None:
    (fact,) = facts_of(text)
    assert fact.kind is FactKind.PERCENTAGE
    assert fact.value == Quantity(mantissa=Decimal("12.5"), unit="percent")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("signed March 3, 2021 here", DateValue(2021, 3, 3)),
        ("signed 3 March 2021 here", DateValue(2021, 3, 3)),
        ("signed 3rd of March 2021 here", DateValue(2021, 3, 3)),
        ("signed Mar. 3, 2021 here", DateValue(2021, 3, 3)),
        ("signed 2021-03-03 here", DateValue(2021, 3, 3)),
        ("signed 25/12/2021 here", DateValue(2021, 12, 25)),
        ("signed March 2021 here", DateValue(2021, 3)),
        ("signed December 31 here", DateValue(None, 12, 31)),
        ("results for FY2022 here", DateValue(2022)),
        ("results for FY19 here", DateValue(2019)),
        ("results for fiscal 2019 here", DateValue(2019)),
        ("results for Q3 2023 here", DateValue(2023, quarter=3)),
        ("results for the third quarter of 2023 here", DateValue(2023, quarter=3)),
        ("results for 2019 here", DateValue(2019)),
    ],
)
def test_date_formats(text: str, value: DateValue) -> None:
    (fact,) = facts_of(text)
    assert fact.kind is FactKind.DATE
    assert fact.value == value


def test_digits_of_dates_are_not_read_again_as_numbers() -> None:
    assert [f.kind for f in facts_of("Paid on March 3, 2021.")] == [FactKind.DATE]


def test_citations_and_list_numbering_are_not_facts() -> None:
    assert facts_of("Sales grew strongly [1].") == []
    assert facts_of("Sales grew strongly [2, 3].") == []
    assert facts_of("1. Sales grew strongly.\n2) Costs fell.") == []
    assert facts_of("The Company may (1) terminate or (2) renew.", FactKind.NUMBER) == []


def test_identifiers_glued_to_letters_are_not_numbers() -> None:
    assert facts_of("Patients with COVID-19 filed a Form 10-K.", FactKind.NUMBER) == []


def test_parties_named_and_defined_terms() -> None:
    text = "Under the Agreement, the Licensee shall notify Birch First Global Investments Inc."
    assert texts_of(text, FactKind.PARTY) == ["Licensee", "Birch First Global Investments Inc."]


def test_sentence_openers_are_not_parties() -> None:
    assert texts_of("Patients improved. However, results varied.", FactKind.PARTY) == []
    assert texts_of("In Fiverr's policy users are public.", FactKind.PARTY) == ["Fiverr"]


def test_two_parties_joined_by_and_stay_apart() -> None:
    names = texts_of("An agreement between Acme Widgets Ltd. and Northwind Traders.")
    assert names == ["Acme Widgets Ltd.", "Northwind Traders"]


# --- normalisation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "evidence"),
    [
        ("It reached 1.5 million.", "It reached 1,500,000."),
        ("It reached 1,500,000.", "It reached 1.5 million."),
        ("It reached 1500000.", "It reached 1,500,000."),
        ("It reached 12.50.", "It reached 12.5."),
        ("Margin was 12.5%.", "Margin was 12.5 percent."),
        ("Margin was 12.5 per cent.", "Margin was 12.5%."),
        ("A loss of 1,234.", "Net result | (1,234) | 56"),
        ("A loss of 1,234.", "Net result was -1,234."),
        ("Revenue was $1.2m.", "Revenue was $1,200,000."),
        ("Revenue was $1,496.5 million.", "Total sales | $1,496.5 | $1,202.9"),
        ("Revenue was $1.5 billion.", "Total sales | 1,496.5\n(in millions)"),
        ("The dose was 0.5 g.", "The dose was 500 mg."),
        ("Notice of 2 weeks.", "Notice of fourteen (14) days."),
        ("A response within 60 minutes.", "First response: 1 hour."),
        ("Termination on 30 days' notice.", "On a 30-day notice."),
        ("Obligations survive for 3 years.", "They survive for three (3) years."),
        ("Obligations survive for 36 months.", "They survive for 3 years."),
        ("It took 48 hours.", "Severity | First response\n1 | 48 hours"),
        ("Return it within 15 business days.", "within fifteen (15) business days after"),
        ("Notify it within 48 hours.", "within forty-eight (48) hours of becoming aware"),
        ("Terminate on 30 days' notice.", "by giving **thirty (30) days' prior** notice"),
        ("The spread widened 50 basis points.", "The spread widened 0.5 percentage points."),
        ("The ten largest customers were 10.", "The 10 largest customers."),
        ("Top 10 customers.", "The ten largest customers."),
        ("Signed March 3, 2021.", "Signed 3 March 2021."),
        ("Signed 3 March 2021.", "Signed 2021-03-03."),
        ("Signed March 2021.", "Signed on March 3, 2021."),
        ("Signed in 2021.", "Signed on March 3, 2021."),
        ("Results for FY19.", "Results for fiscal 2019."),
        ("Results for Q3 2023.", "Results for the third quarter of 2023."),
        ("As of December 31, 2019.", "Balance | December 31, | \n | 2019 | 2018"),
        ("Sales in 2019 were higher.", "Profit | 2018/2019 | 2017/2018"),
    ],
)
def test_equivalent_forms_are_supported(claim: str, evidence: str) -> None:
    assert supported(claim, evidence)


def test_a_scale_declared_in_one_passage_applies_to_the_others() -> None:
    table, note = "Total sales | 1,496.5 | 1,202.9", "Amounts in millions."
    assert supported("Revenue was $1.5 billion.", table, note)
    assert not supported("Revenue was $1.5 billion.", table)


@pytest.mark.parametrize(
    ("claim", "evidence"),
    [
        ("Margin was 15.2%.", "Margin was 12.5%."),
        ("Revenue was $1.2 billion.", "Revenue was $1.2 million."),
        ("The dose was 5 g.", "The dose was 5 mg."),
        ("The first response time is 1 minute.", "Severity 1 | Critical | 1 hour | 24x7"),
        ("Backups are kept for 35 weeks.", "Backups are retained for 35 days."),
        ("Return it within 15 days.", "within fifteen (15) business days after"),
        ("Review every 4 months.", "Review every 4 weeks."),
        ("Signed March 4, 2021.", "Signed March 3, 2021."),
        ("Results for Q2 2023.", "Results for Q3 2023."),
        ("Results for FY2020.", "Results for fiscal 2019."),
        ("A fee of 3 units.", "A fee of 30 units."),
    ],
)
def test_different_facts_are_not_supported(claim: str, evidence: str) -> None:
    assert not supported(claim, evidence)


def test_party_names_match_without_case_articles_or_company_suffix() -> None:
    evidence = "This agreement is made with MOUNT KNOWLEDGE HOLDINGS, INC., a Nevada company."
    assert supported("It binds Mount Knowledge Holdings Inc.", evidence)
    assert not supported("It binds Birch First Global Investments Inc.", evidence)


# --- the detector -------------------------------------------------------------------------------


def test_support_probability_falls_with_each_missing_fact() -> None:
    assert support_probability([]) == 1.0
    one = support_probability([FactKind.AMOUNT])
    two = support_probability([FactKind.AMOUNT, FactKind.DATE])
    three = support_probability([FactKind.AMOUNT, FactKind.DATE, FactKind.PARTY])
    assert 1.0 > one > two > three > 0.0
    assert support_probability([FactKind.PARTY]) > support_probability([FactKind.NUMBER])


def test_all_facts_found_gives_full_support() -> None:
    probability, spans, reasons = judge(
        "Total sales in 2019 were $1,496.5 million.",
        "Total sales | $1,496.5 | $1,202.9 | 2019 | 2018",
    )
    assert (probability, spans, reasons) == (1.0, (), ())


def test_missing_figure_is_reported_with_its_span_and_reason() -> None:
    sentence = "Margin rose to 12.5% in 2019."
    probability, spans, reasons = judge(sentence, "In 2019 the margin rose to 15.2%.")
    assert probability < 0.5
    assert [sentence[s.start : s.end] for s in spans] == ["12.5%"]
    assert reasons == ("12.5% appears in no cited passage",)


def test_more_missing_facts_lower_the_probability() -> None:
    evidence = "In 2019 Acme Corp. sold 5,000 units for $2 million."
    one, _, _ = judge("In 2019 Acme Corp. sold 6,000 units for $2 million.", evidence)
    two, _, _ = judge("In 2018 Acme Corp. sold 6,000 units for $2 million.", evidence)
    three, _, _ = judge("In 2018 Zenith Corp. sold 6,000 units for $2 million.", evidence)
    assert 1.0 > one > two > three


def test_repeated_missing_fact_counts_once_but_every_place_is_marked() -> None:
    sentence = "Margin was 12.5% and 12.5% again."
    probability, spans, reasons = judge(sentence, "Margin was 15%.")
    assert probability == pytest.approx(support_probability([FactKind.PERCENTAGE]))
    assert len(spans) == 2
    assert len(reasons) == 1


def test_cited_sentence_is_judged_against_its_citations_only() -> None:
    item = DetectionInput(
        question="q",
        sentences=(
            SentenceToCheck("The fee is $500.", ("The fee is payable monthly.",)),
            SentenceToCheck("The fee is $500.", ()),
        ),
        retrieved=("The fee is payable monthly.", "A fee of $500 applies."),
    )
    cited, uncited = FactDetector().detect(item)
    assert cited.probability < 1.0
    assert cited.reasons == ("$500 appears in no cited passage",)
    assert uncited.probability == 1.0
    assert uncited.reasons == ()


def test_uncited_sentence_missing_from_every_retrieved_passage_is_flagged() -> None:
    item = DetectionInput(
        question="q",
        sentences=(SentenceToCheck("The fee is $700.", ()),),
        retrieved=("The fee is payable monthly.", "A fee of $500 applies."),
    )
    (verdict,) = FactDetector().detect(item)
    assert verdict.reasons == ("$700 appears in no retrieved passage",)


def test_sentence_without_checkable_facts_is_not_objected_to() -> None:
    assert judge("The clause survives termination.", "Nothing related.") == (1.0, (), ())


def test_detector_contract() -> None:
    detector = FactDetector()
    detector.warm_up()
    assert detector.name == "facts"
    empty = DetectionInput("q", (), ("passage",))
    assert detector.detect(empty) == ()


def test_fast_enough_for_every_answer() -> None:
    evidence = tuple(
        f"In fiscal 2019 segment {n} of Acme Holdings Inc. earned $1,{n:03d}.5 million, "
        f"up 12.{n}% on March 3, 2018, under the Licensee terms." * 3
        for n in range(5)
    )
    sentences = tuple(
        SentenceToCheck(f"Segment {n} of Acme Holdings Inc. earned $1,{n:03d}.5 million.", ())
        for n in range(50)
    )
    item = DetectionInput("q", sentences, evidence)
    detector = FactDetector()
    started = time.perf_counter()
    detector.detect(item)
    per_sentence = (time.perf_counter() - started) / len(sentences)
    assert per_sentence < 0.02
