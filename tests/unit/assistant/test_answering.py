from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.answering import Answer, AnswerGuard, AnswerPipeline
from assistant.generation.prompt import ABSTENTION
from assistant.passages import ChunkView, Passage
from assistant.service import Assistant
from assistant.settings import GenerationSettings, Settings
from tests.unit.assistant.generation.fakes import ScriptedGenerator, StepClock
from tests.unit.indexes.index_fakes import HashingEmbedder


def passage(number: int, text: str, page: int | None = 1) -> Passage:
    chunk = ChunkView(
        chunk_id=number,
        text=text,
        document_id=number,
        file_name=f"doc{number}.pdf",
        collection="legal",
        page=page,
        char_start=0,
        char_end=len(text),
        heading_path="",
        is_table=False,
    )
    return Passage(chunk, 1.0 / number)


class FakeSearch:
    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = list(passages)
        self.calls: list[tuple[str, tuple[str, ...], int]] = []

    def __call__(self, query: str, *, collections: Sequence[str], k: int) -> list[Passage]:
        self.calls.append((query, tuple(collections), k))
        return self.passages[:k]


SETTINGS = GenerationSettings(max_new_tokens=40, context_tokens=400, passages=3)


def pipeline(
    search: FakeSearch, generator: ScriptedGenerator, guards: Sequence[AnswerGuard] = ()
) -> AnswerPipeline:
    return AnswerPipeline(
        search=search, generator=generator, settings=SETTINGS, clock=StepClock(), guards=guards
    )


def test_answer_carries_sentences_citations_and_passages() -> None:
    search = FakeSearch([passage(1, "Notice is thirty days."), passage(2, "Fees are monthly.")])
    generator = ScriptedGenerator(["Notice is ", "thirty days [1]. ", "Fees are monthly [2][5]."])
    streamed: list[str] = []
    answer = pipeline(search, generator).run(
        "What notice applies?", collections=["legal"], on_token=streamed.append
    )
    assert search.calls == [("What notice applies?", ("legal",), 3)]
    assert "".join(streamed) == "Notice is thirty days [1]. Fees are monthly [2][5]."
    assert answer.text == "Notice is thirty days [1]. Fees are monthly [2]."
    assert [s.citations for s in answer.sentences] == [(1,), (2,)]
    assert answer.invalid_citations == (5,)
    assert [n for n, _ in answer.cited_passages] == [1, 2]
    assert answer.cited_passages[0][1].chunk.file_name == "doc1.pdf"
    assert not answer.abstained
    assert answer.token_logprobs == (-0.25, -0.25, -0.25)
    assert answer.prompt_tokens > 0
    assert answer.timings.first_token_s > answer.timings.retrieval_s > 0
    assert answer.timings.total_s >= answer.timings.generation_s
    user = generator.prompts[0][1]["content"]
    assert "[1] (doc1.pdf, page 1) Notice is thirty days." in user
    assert "[2] (doc2.pdf, page 1) Fees are monthly." in user


def test_abstention_is_reported() -> None:
    search = FakeSearch([passage(1, "Unrelated text.")])
    answer = pipeline(search, ScriptedGenerator([ABSTENTION])).run("Who?", collections=["legal"])
    assert answer.abstained
    assert answer.text == ABSTENTION
    assert answer.cited_passages == ()


def test_no_passages_means_abstention_without_generating() -> None:
    generator = ScriptedGenerator(["Paris [1]."])
    streamed: list[str] = []
    answer = pipeline(FakeSearch([]), generator).run(
        "Capital of France?", collections=["legal"], on_token=streamed.append
    )
    assert answer.abstained
    assert answer.text == ABSTENTION
    assert streamed == [ABSTENTION]
    assert generator.prompts == []
    assert answer.passages == ()


def test_the_stream_gives_the_draft_then_the_checked_answer() -> None:
    search = FakeSearch([passage(1, "Notice is thirty days.")])
    generator = ScriptedGenerator(["Notice is ", "thirty days [1]."])
    seen: list[Answer] = []

    def guard(answer: Answer) -> Answer:
        seen.append(answer)
        return replace(answer, text="checked")

    events = list(pipeline(search, generator, [guard]).stream("Notice?", collections=["legal"]))
    assert events[:2] == ["Notice is ", "thirty days [1]."]
    assert len(events) == 3 and isinstance(events[2], Answer)
    assert events[2].text == "checked"
    assert seen and seen[0].text == "Notice is thirty days [1]."


def test_closing_the_stream_stops_the_generator_at_once() -> None:
    search = FakeSearch([passage(1, "Notice is thirty days.")])
    generator = ScriptedGenerator(["Notice ", "is ", "thirty ", "days ", "[1]."])
    guarded: list[Answer] = []

    def guard(answer: Answer) -> Answer:
        guarded.append(answer)
        return answer

    events = pipeline(search, generator, [guard]).stream("Notice?", collections=["legal"])
    assert next(events) == "Notice "
    events.close()
    assert generator.stopped
    assert generator.produced == 1
    assert guarded == []  # nothing is checked for a reader that went away


def test_only_passages_that_fit_the_budget_are_numbered() -> None:
    long_text = " ".join(f"w{i}" for i in range(170))
    search = FakeSearch([passage(k, long_text) for k in range(1, 4)])
    generator = ScriptedGenerator(["Yes [3]."])
    answer = pipeline(search, generator).run("Which?", collections=["legal"])
    assert len(answer.passages) < 3
    assert answer.invalid_citations == (3,)
    assert "[3] (" not in generator.prompts[0][1]["content"]


def test_an_empty_generation_becomes_the_abstention() -> None:
    answer = pipeline(FakeSearch([passage(1, "Text.")]), ScriptedGenerator([])).run(
        "Q?", collections=["legal"]
    )
    assert answer.text == ABSTENTION
    assert answer.abstained


def test_guards_see_and_may_replace_the_answer() -> None:
    seen: list[Answer] = []

    def guard(answer: Answer) -> Answer:
        seen.append(answer)
        return replace(answer, text="checked", abstained=True)

    answer = pipeline(
        FakeSearch([passage(1, "Fee is $5.")]), ScriptedGenerator(["$5 [1]."]), guards=[guard]
    ).run("Fee?", collections=["legal"])
    assert seen[0].text == "$5 [1]."
    assert answer.text == "checked"
    assert answer.abstained


def test_empty_question_is_refused() -> None:
    with pytest.raises(ValueError):
        pipeline(FakeSearch([]), ScriptedGenerator([])).run(" ", collections=["legal"])
    with pytest.raises(ValueError):  # at once, before any event is read
        pipeline(FakeSearch([]), ScriptedGenerator([])).stream(" ", collections=["legal"])


def test_assistant_ask_answers_from_ingested_documents(tmp_path: Path) -> None:
    doc = tmp_path / "lease.txt"
    doc.write_text("The tenant must give ninety days notice before leaving.", encoding="utf-8")
    generator = ScriptedGenerator(["Ninety days [1]."])
    service = Assistant(
        Settings(data_dir=tmp_path / "data"), embedder=HashingEmbedder(), generator=generator
    )
    service.ingest([doc], collection="legal")
    answer = service.ask("How much notice must the tenant give?", collections=["legal"])
    assert answer.text == "Ninety days [1]."
    assert answer.cited_passages[0][1].chunk.file_name == "lease.txt"
    assert "ninety days notice" in generator.prompts[0][1]["content"]


def test_a_passage_is_located_by_page_else_by_section_else_by_characters() -> None:
    paged = passage(1, "Text.", page=4).chunk
    assert paged.location == "page 4"
    sectioned = replace(passage(2, "Text.", page=None).chunk, heading_path="Report > Revenue")
    assert sectioned.location == "section 'Revenue'"
    bare = passage(3, "Text.", page=None).chunk
    assert bare.location == "chars 0-5"


def test_a_table_passage_reads_as_cells() -> None:
    text = "| USD m | FY2025 |\n|---|---|\n| Revenue | 1,077.4 |"
    table = replace(passage(1, text).chunk, is_table=True).table
    assert table is not None and table.rows == (("Revenue", "1,077.4"),)
    assert passage(2, text).chunk.table is None  # stored as prose
