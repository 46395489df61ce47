from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from indexes.persist import IndexFormatError
from indexes.tokenize import STOPWORDS, Tokenizer, TokenizerSettings

plain = Tokenizer(TokenizerSettings(stemming=False))
stemmed = Tokenizer()


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("1,234.5", ["1234.5"]),
        ("1,000,000 and 4.2.1", ["1000000", "4.2.1"]),
        ("$5m", ["$5m", "5"]),
        ("$1,234", ["$1234", "1234"]),
        ("12%", ["12%", "12"]),
        ("10mg", ["10mg", "10"]),
        ("§ 4.2", ["§4.2", "4.2"]),
        ("§4.2.", ["§4.2", "4.2"]),
        ("§§ 12a", ["§12a", "12a"]),
        ("in 2020.", ["2020"]),
    ],
)
def test_numbers_amounts_and_sections(text: str, terms: list[str]) -> None:
    assert plain(text) == terms


def test_hyphenated_terms_keep_joined_form_and_parts() -> None:
    assert plain("non-compete") == ["non-compete", "non", "compete"]
    assert plain("Form 10-K") == ["form", "10-k", "10", "k"]
    assert plain("out-of-pocket") == ["out-of-pocket", "pocket"]
    assert stemmed("non-competes") == stemmed("non-compete") == ["non-compet", "non", "compet"]


def test_dotted_acronyms_survive_stopwords_and_latin_abbreviations_go() -> None:
    assert "us" in STOPWORDS
    assert plain("the U.S. market") == ["us", "market"]
    assert plain("U.S.A.") == ["usa"]
    assert plain("e.g. a lease, i.e. a contract") == ["lease", "contract"]
    assert stemmed("U.S.") == ["us"]


def test_stopwords_negations_and_modals() -> None:
    assert plain("the of and to in") == []
    assert plain("shall not be liable") == ["shall", "not", "liable"]
    assert Tokenizer(TokenizerSettings(stopwords=False, stemming=False))("the lease") == [
        "the",
        "lease",
    ]


def test_stemming_is_optional_and_spares_numbers() -> None:
    assert stemmed("agreements") == stemmed("agreement") == ["agreement"]
    assert plain("agreements") == ["agreements"]
    assert stemmed("patients 10mg") == ["patient", "10mg", "10"]


def test_apostrophes_case_and_unicode_forms() -> None:
    assert plain("Company's") == plain("company") == ["company"]
    assert plain("the company\u2019s") == ["company"]
    assert plain("\ufb01nancial") == plain("financial")
    assert plain("non\u2011compete") == plain("non-compete")


def test_settings_round_trip_through_the_manifest() -> None:
    settings = TokenizerSettings(stopwords=False, stemming=True)
    assert TokenizerSettings.from_manifest(settings.to_manifest()) == settings


def test_other_tokenizer_version_is_refused() -> None:
    manifest = TokenizerSettings().to_manifest()
    manifest["version"] = 999
    with pytest.raises(IndexFormatError, match="rebuild the index"):
        TokenizerSettings.from_manifest(manifest)


def test_threads_get_the_same_terms() -> None:
    texts = [f"indemnification agreements {n} running terminations" for n in range(200)]
    expected = [stemmed(text) for text in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(stemmed, texts)) == expected
