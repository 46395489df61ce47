"""Command line: ``assistant ingest``, ``documents``, ``delete``, ``search``, ``ask``, ``check``,
``create-admin``, ``token create``, ``api``, ``up``."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from assistant.cli_help import ProseCommand, ProseGroup
from assistant.cli_program import Program

if TYPE_CHECKING:
    from collections.abc import Sequence

    from assistant.answering import Answer
    from assistant.ingestion.progress import FileProgress
    from assistant.service import Assistant

# Each command imports what it needs when it runs: the models, the database and the web stacks
# take seconds to import, and `assistant --help` or a mistyped option should not wait for them.

app = Program(
    cls=ProseGroup,
    help="A private assistant that answers questions from your own documents.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
)
console = Console()
errors = Console(stderr=True)

SUPPORTED = {".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt", ".text", ".csv"}


def _service() -> Assistant:
    from assistant.quiet_loading import quiet_model_libraries

    quiet_model_libraries()  # before the model libraries are imported: some read it only then
    from assistant.service import Assistant
    from assistant.settings import get_settings

    return Assistant(get_settings())


def _load_answer_model_meanwhile(service: Assistant) -> None:
    """Start loading the answer model in a background thread, so that a question the tables and
    the span reader cannot answer finds it loaded, or nearly, by the time its passages are read:
    importing torch overlaps with the span reader, which runs outside Python. A model not yet
    converted is left to the draft that needs it, as is a failure here: it loads the model
    again and reports what goes wrong."""

    def load() -> None:
        with contextlib.suppress(Exception):
            service.generator.warm_up(convert=False)

    threading.Thread(target=load, name="answer-model", daemon=True).start()


def _load_search_model(service: Assistant) -> None:
    """Load the search model, saying so in one line on a terminal that goes once it is loaded
    (and nothing when the output is not a terminal)."""
    with errors.status("loading the search model..."):
        service.index.warm_up()


def _expand(paths: list[Path]) -> list[Path]:
    """Files as given, and the supported files found under given folders, in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() in SUPPORTED
            )
        else:
            files.append(path)
    return files


def _files_to_ingest(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """The files under ``paths`` and the paths that do not exist (each reported); exits when
    nothing is left to ingest."""
    missing = [p for p in paths if not p.exists()]
    for path in missing:
        errors.print(f"[red]error[/] {path}: no such file or folder")
    files = _expand([p for p in paths if p.exists()])
    if not files:
        errors.print("nothing to ingest")
        raise typer.Exit(2)
    return files, missing


def _progress_line(progress: FileProgress) -> str:
    """A file's progress in one line: 'report.pdf embedding: 640 of 1427 chunks, about 2 min
    left'."""
    from assistant.ingestion.progress import Stage

    counts = ""
    if progress.stage == Stage.PARSING and progress.pages_total is not None:
        counts = f": {progress.pages_done} of {progress.pages_total} pages"
    elif progress.stage == Stage.EMBEDDING and progress.chunks_total is not None:
        counts = f": {progress.chunks_done} of {progress.chunks_total} chunks"
    left = progress.seconds_left
    if left is None:
        eta = ""
    elif left < 60:
        eta = f", about {max(1, round(left))} s left"
    else:
        eta = f", about {round(left / 60)} min left"
    return f"{escape(progress.path.name)} {progress.stage.value}{counts}{eta}"


def _ingest(service: Assistant, files: list[Path], collection: str) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from assistant.ingestion.pipeline import FileResult, Outcome
    from assistant.ingestion.progress import Stage
    from assistant.storage.faults import StorageUnavailableError

    failed: list[FileResult] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"Ingesting into {collection}", total=len(files))
        # the file under way, on a terminal only: piped, the output stays one line per file
        current = progress.add_task("", total=None, visible=False)

        def on_progress(step: FileProgress) -> None:
            done, total = 0, None
            if step.stage == Stage.PARSING:
                done, total = step.pages_done, step.pages_total
            elif step.stage == Stage.EMBEDDING:
                done, total = step.chunks_done, step.chunks_total
            progress.update(
                current,
                description=_progress_line(step),
                completed=done,
                total=total,
                visible=step.stage != Stage.READY,
                refresh=True,
            )

        def on_file(result: FileResult) -> None:
            progress.advance(task)
            label = {
                Outcome.ADDED: "[green]added[/]",
                Outcome.REPLACED: "[cyan]replaced[/]",
                Outcome.UNCHANGED: "[dim]unchanged[/]",
                Outcome.FAILED: "[red]failed[/]",
            }[result.outcome]
            detail = f" ({result.chunks} chunks)" if result.chunks else ""
            progress.console.print(f"{label} {result.path.name}{detail}")
            if result.outcome == Outcome.FAILED:
                failed.append(result)

        try:
            report = service.ingest(
                files,
                collection=collection,
                on_file=on_file,
                on_progress=on_progress if console.is_terminal else None,
            )
        except StorageUnavailableError as exc:
            progress.stop()
            errors.print(f"[red]error[/] {exc}")
            return 1
    summary = ", ".join(f"{report.count(o)} {o.value}" for o in Outcome)
    console.print(f"Run {report.run_id}: {summary}.")
    for result in failed:
        errors.print(f"[red]error[/] {result.path}: {result.error}")
    return 1 if failed else 0


@app.command(cls=ProseCommand)
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.")],
    collection: Annotated[
        str, typer.Option("--collection", "-c", metavar="NAME", help="Target collection.")
    ],
) -> None:
    """Add files to a collection. Unchanged files are skipped, changed ones replaced; a file
    that cannot be read fails alone with its reason and the rest of the batch goes on."""
    files, missing = _files_to_ingest(paths)
    code = _ingest(_service(), files, collection)
    raise typer.Exit(code or (1 if missing else 0))


@app.command(cls=ProseCommand, name="ingest-ray")
def ingest_ray(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.")],
    collection: Annotated[
        str, typer.Option("--collection", "-c", metavar="NAME", help="Target collection.")
    ],
    ray_address: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS",
            help="A running cluster: 'auto' on one of its nodes, or ray://HEAD:10001.",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, metavar="N", help="Embedding workers; default: as many as fit."),
    ] = None,
    num_cpus: Annotated[
        int | None,
        typer.Option(min=1, metavar="N", help="CPUs of the local cluster started without address."),
    ] = None,
) -> None:
    """Like `ingest`, with parsing, chunking and embedding spread over a Ray cluster (a local
    one unless --ray-address is given). This machine stores the results in its own database
    and indexes, so the workers need only read the files at the same paths."""
    from assistant.ingestion.pipeline import FileResult, Outcome
    from assistant.settings import get_settings
    from assistant.storage.faults import StorageUnavailableError

    try:
        from assistant.ingestion.ray_pipeline import RayIngestion, RayOptions
    except ImportError as exc:
        errors.print("[red]error[/] Ray is not installed: pip install 'domain-assistant[scale]'")
        raise typer.Exit(2) from exc
    files, missing = _files_to_ingest(paths)
    failed: list[FileResult] = []

    def on_file(result: FileResult) -> None:
        detail = f" ({result.chunks} chunks)" if result.chunks else ""
        console.print(f"{result.outcome.value} {result.path.name}{detail}", markup=False)
        if result.outcome == Outcome.FAILED:
            failed.append(result)

    try:
        options = RayOptions(address=ray_address, num_cpus=num_cpus, workers=workers)
        report = RayIngestion(get_settings(), options).run(
            files, collection=collection, on_file=on_file
        )
    except (ValueError, StorageUnavailableError) as exc:
        errors.print(f"[red]error[/] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"Run {report.run_id}: " + ", ".join(f"{report.count(o)} {o}" for o in Outcome))
    for result in failed:
        errors.print("[red]error[/]", end=" ")
        errors.print(f"{result.path}: {result.error}", markup=False, highlight=False)
    raise typer.Exit(1 if failed or missing else 0)


@app.command(cls=ProseCommand)
def documents(
    collection: Annotated[
        list[str] | None,
        typer.Option(
            "--collection", "-c", metavar="NAME", help="Only this collection; repeat for several."
        ),
    ] = None,
) -> None:
    """List stored documents with their status, version, pages and chunks."""
    from rich.table import Table

    from assistant.storage.repository import NotFoundError

    try:
        docs = _service().documents(collections=collection)
    except NotFoundError as exc:
        errors.print(f"[red]error[/] {exc}")
        raise typer.Exit(2) from exc
    table = Table("collection", "document", "status", "version", "pages", "chunks", "error")
    for d in docs:
        table.add_row(
            d.collection,
            d.file_name,
            d.status,
            str(d.version),
            str(d.pages or ""),
            str(d.chunks),
            d.error or "",
        )
    console.print(table)


@app.command(cls=ProseCommand)
def delete(
    file_names: Annotated[list[str], typer.Argument(help="Document file names to delete.")],
    collection: Annotated[
        str, typer.Option("--collection", "-c", metavar="NAME", help="Their collection.")
    ],
) -> None:
    """Delete documents from storage and from every index."""
    from assistant.storage.repository import NotFoundError

    service = _service()
    code = 0
    for name in file_names:
        try:
            removed = service.delete_document(collection=collection, file_name=name)
            console.print(f"deleted {name} ({removed} chunks)")
        except NotFoundError as exc:
            errors.print(f"[red]error[/] {exc}")
            code = 1
    raise typer.Exit(code)


@app.command(cls=ProseCommand)
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    collection: Annotated[
        list[str],
        typer.Option(
            "--collection", "-c", metavar="NAME", help="Collection to search; repeat for several."
        ),
    ],
    k: Annotated[int, typer.Option("-k", metavar="N", help="How many passages.")] = 5,
    mode: Annotated[str, typer.Option(help="How to search: hybrid, bm25 or dense.")] = "hybrid",
) -> None:
    """Print the best passages with their document, page and score."""
    app.quick_exit = True  # it only reads
    if mode not in ("hybrid", "bm25", "dense"):
        errors.print("mode must be hybrid, bm25 or dense")
        raise typer.Exit(2)
    from assistant.storage.repository import NotFoundError

    try:
        passages = _service().search(query, collections=collection, k=k, mode=mode)  # type: ignore[arg-type]
    except (NotFoundError, ValueError) as exc:
        errors.print(f"[red]error[/] {exc}")
        raise typer.Exit(2) from exc
    if not passages:
        console.print("no passages found")
    for rank, passage in enumerate(passages, start=1):
        c = passage.chunk
        console.print(
            f"[bold]{rank}. {c.file_name}[/] ({c.collection}, {c.location}) "
            f"score {passage.score:.4f}"
        )
        console.print(c.text.strip(), markup=False, highlight=False)
        console.print()


def _print_reasons(reasons: Sequence[str], to: Console) -> None:
    """The reasons behind a confidence, one a line under it."""
    for reason in reasons:
        to.print(f"  - {reason}", markup=False, highlight=False)


def _print_citations(answer: Answer) -> None:
    if answer.invalid_citations:
        numbers = ", ".join(f"[{n}]" for n in answer.invalid_citations)
        errors.print(f"[yellow]removed citations of passages that do not exist:[/] {numbers}")
    check = answer.check
    if check is not None and check.withheld and check.confidence is not None:
        if check.reasons:
            errors.print("[yellow]answer withheld[/] because:")
            _print_reasons(check.reasons, errors)
            errors.print("the best passages follow")
        else:
            errors.print(
                f"[yellow]answer withheld:[/] confidence {check.confidence:.0%} is below the "
                f"threshold {check.threshold:.0%}; the best passages follow"
            )
        for rank, passage in enumerate(answer.passages[:3], start=1):
            c = passage.chunk
            console.print(f"\n[bold]{rank}. {c.file_name}, {c.location}[/]", highlight=False)
            console.print(c.text.strip(), markup=False, highlight=False)
        return
    if answer.abstained:
        return
    if check is not None and check.confidence is not None:
        console.print(
            f"\n[bold]Confidence[/] {check.confidence:.0%} (calibrated chance it is right)"
        )
        _print_reasons(check.reasons, console)
    console.print("\n[bold]Citations[/]")
    verdicts = check.sentences if check is not None else ()
    for index, sentence in enumerate(answer.sentences):
        sources, found = answer.sentence_sources(index)
        label = " ".join(f"[{n}]" for n in sources) or "[yellow]not cited[/]"
        if found:
            label = f"[dim]not cited, found in[/] {label}"
        console.print(f"  {label} ", end="", highlight=False)
        console.print(sentence.text, markup=False, highlight=False)
        if index < len(verdicts) and not verdicts[index].supported:
            reasons = "; ".join(verdicts[index].reasons) or "the passages do not back it"
            console.print(f"      [red]unsupported[/] ({reasons})", highlight=False)
    console.print("[bold]Sources[/]")
    if not answer.source_passages:
        console.print("  [yellow]no passage cited: the answer is not backed by the documents[/]")
    for number, passage in answer.source_passages:
        c = passage.chunk
        console.print(f"  [{number}] {c.file_name}, {c.location} ({c.collection})", markup=False)


@app.command(cls=ProseCommand)
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    collection: Annotated[
        list[str],
        typer.Option(
            "--collection",
            "-c",
            metavar="NAME",
            help="Collection to answer from; repeat for several.",
        ),
    ],
) -> None:
    """Answer a question from the documents of the given collections only, citing passages;
    when they do not hold the answer, say so."""

    from assistant.generation.model_files import ModelNotFoundError
    from assistant.storage.repository import NotFoundError

    app.quick_exit = True  # it only reads
    service = _service()
    try:
        _load_search_model(service)
        _load_answer_model_meanwhile(service)
        if service.guards:  # nothing is shown before it is checked
            with console.status("Writing the answer and checking it against the sources..."):
                answer = service.ask(question, collections=collection)
            console.print(answer.text, markup=False, highlight=False, soft_wrap=True)
        else:
            with console.status("Writing the answer...") as writing:

                def show(text: str) -> None:
                    writing.stop()  # the answer's own words replace the status line
                    console.print(text, end="", markup=False, highlight=False, soft_wrap=True)

                answer = service.ask(question, collections=collection, on_token=show)
            console.print()
    except (NotFoundError, ValueError, ModelNotFoundError) as exc:
        errors.print(f"[red]error[/] {exc}")
        raise typer.Exit(2) from exc
    _print_citations(answer)


@app.command(cls=ProseCommand, name="prepare-models")
def prepare_models() -> None:
    """Convert the answer model once and keep it in the data directory, so that every later
    start maps it in within seconds; export the search model too where index.embedding_backend
    runs it from an ONNX export (every backend but torch), and the span reader. Otherwise the
    first `assistant ask`, UI or API start does it; a conversion that no longer matches the
    model, its adapter or the libraries is made again."""
    from assistant.embedding_backend import prepare_export
    from assistant.generation.factory import build_generator
    from assistant.generation.model_files import ModelNotFoundError
    from assistant.quiet_loading import quiet_model_libraries
    from assistant.reading.span_export import ExportError as SpanExportError
    from assistant.reading.span_export import prepare_span_export
    from assistant.reading.span_model import BUNDLED_SPAN_READER
    from assistant.settings import get_settings
    from indexes.onnx_embedder import ExportError

    quiet_model_libraries()
    settings = get_settings()
    generator = build_generator(settings.generation)
    try:
        with errors.status("converting the answer model..."):
            prepared = generator.prepare()
        with errors.status("exporting the search model..."):
            exported = prepare_export(settings.index, settings.model_cache_dir)
        span = None
        if settings.generation.span_reader:
            with errors.status("exporting the span reader..."):
                span = prepare_span_export(BUNDLED_SPAN_READER, settings.model_cache_dir)
    except (ModelNotFoundError, FileNotFoundError, ExportError, SpanExportError) as exc:
        errors.print(f"[red]error[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    done = "converted into" if prepared.converted else "already converted, checked in"
    console.print(
        f"answer model {done} {prepared.folder}", markup=False, highlight=False, soft_wrap=True
    )
    for name, made in (("search model", exported), ("span reader", span)):
        if made is not None:
            done = "exported into" if made.converted else "already exported, checked in"
            console.print(
                f"{name} {done} {made.folder}", markup=False, highlight=False, soft_wrap=True
            )


@app.command(cls=ProseCommand)
def check(
    repair: Annotated[bool, typer.Option(help="Fix drift instead of only reporting it.")] = False,
    rebuild: Annotated[
        bool,
        typer.Option(
            help="Build the indexes anew from storage, embedding every chunk again (after an "
            "upgrade that changes what they hold, or a change of BM25 settings)."
        ),
    ] = False,
) -> None:
    """Check that the indexes hold exactly the stored chunks (after a crash, for instance)."""
    from assistant.index_sync import OUTDATED_ADVICE

    service = _service()
    if rebuild:
        console.print(f"rebuilt the indexes from storage: {service.rebuild_index()} chunks")
    report = service.check(repair=repair)
    console.print(
        f"missing from indexes: {report.missing}; in indexes but not stored: {report.orphaned}"
    )
    if report.outdated:
        console.print(OUTDATED_ADVICE)
    if report.consistent:
        console.print("storage and indexes agree")
    elif report.repaired:
        console.print("repaired")
    else:
        console.print("run `assistant check --repair` to fix")
        raise typer.Exit(1)


@app.command(cls=ProseCommand)
def backup(
    collection: Annotated[str, typer.Argument(help="The collection to save.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="FILE", help="Archive file to write (.tar.gz).")
    ],
) -> None:
    """Save one collection (documents, chunks, vectors and rights) to one archive file, for
    `assistant restore` on this or another installation. Original files are not included."""
    from assistant.backup import BackupError, export_collection
    from assistant.storage.repository import NotFoundError

    try:
        summary = export_collection(_service(), collection, out)
    except (NotFoundError, BackupError) as exc:
        errors.print(f"[red]error[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    console.print(
        f"saved {summary.collection}: {summary.documents} documents, {summary.chunks} chunks, "
        f"{summary.grants} rights to {summary.path} ({summary.size_bytes:,} bytes)",
        markup=False,
        highlight=False,
    )


@app.command(cls=ProseCommand)
def restore(
    archive: Annotated[Path, typer.Argument(help="An archive written by `assistant backup`.")],
    as_name: Annotated[
        str | None, typer.Option("--as", metavar="NAME", help="Restore under this name instead.")
    ] = None,
) -> None:
    """Recreate a collection from a backup archive. Rights go back to the users of the same
    name on this installation; the ones that cannot be given are listed."""
    from assistant.backup import BackupError, restore_collection
    from assistant.bootstrap import open_accounts

    service = _service()
    try:
        accounts = open_accounts(service)
        summary = restore_collection(service, archive, name=as_name, accounts=accounts)
    except BackupError as exc:
        errors.print(f"[red]error[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    console.print(
        f"restored {summary.source_collection} as {summary.collection}: "
        f"{summary.documents} documents, {summary.chunks} chunks",
        markup=False,
        highlight=False,
    )
    for username, right in summary.grants:
        console.print(f"  {right.value} right given to {username}", markup=False)
    for skipped in summary.skipped_grants:
        errors.print(
            f"  not given: {skipped.right.value} right of {skipped.username} ({skipped.reason})",
            markup=False,
        )


@app.command(cls=ProseCommand, name="create-admin")
def create_admin_command(
    username: Annotated[str, typer.Argument(help="Username of the new administrator.")],
) -> None:
    """Create an administrator. The password comes from ASSISTANT_ADMIN_PASSWORD, or is asked
    for without echo."""
    from assistant.accounts import AccountError
    from assistant.bootstrap import ADMIN_PASSWORD_ENV, create_admin, open_accounts

    password = os.environ.get(ADMIN_PASSWORD_ENV) or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    try:
        user = create_admin(open_accounts(_service()), username, password)
    except AccountError as exc:
        errors.print(f"[red]error[/] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"administrator {user.username} created")


token_app = typer.Typer(
    cls=ProseGroup,
    help="API tokens for the REST API.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(token_app, name="token")


@token_app.command(cls=ProseCommand, name="create")
def token_create(
    user: Annotated[str, typer.Option("--user", help="The user the token acts as.")],
    days: Annotated[
        int | None,
        typer.Option(min=1, max=3650, metavar="N", help="Days of validity; default: no expiry."),
    ] = None,
    name: Annotated[
        str, typer.Option(metavar="LABEL", help="A label to recognise the token by.")
    ] = "",
) -> None:
    """Create an API token for a user and print it, this once; only a digest of it is stored.
    The token alone goes to standard output, for scripts."""
    from datetime import timedelta

    from assistant.api_tokens import ApiTokens
    from assistant.bootstrap import OPERATOR, open_accounts

    service = _service()
    tokens = ApiTokens(service.sessions, audit=open_accounts(service).audit)
    expires = timedelta(days=days) if days is not None else None
    try:
        issued = tokens.create(user, name=name, expires_in=expires, actor=OPERATOR)
    except ValueError as exc:
        errors.print(f"[red]error[/] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    until = f"until {issued.info.expires_at:%Y-%m-%d %H:%M} UTC" if issued.info.expires_at else ""
    errors.print(
        f"API token {issued.info.prefix}… for {issued.info.username} {until}".rstrip()
        + "; it is shown this once:",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    typer.echo(issued.token)


@app.command(cls=ProseCommand)
def api(
    host: Annotated[
        str, typer.Option(metavar="ADDRESS", help="Address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Serve the REST API (schema at /openapi.json, documentation at /docs). Callers sign in
    with tokens from `assistant token create`; the models load in the background."""
    from assistant.api.serve import serve
    from assistant.quiet_loading import quiet_model_libraries
    from assistant.settings import get_settings

    quiet_model_libraries()

    serve(get_settings(), host=host, port=port)


@app.command(cls=ProseCommand)
def up(
    port: Annotated[int, typer.Option(help="Port of the web UI.")] = 8501,
    samples: Annotated[bool, typer.Option(help="Load the bundled sample corpus first.")] = True,
) -> None:
    """Start the web UI on this machine, loading the sample corpus on first start."""
    from assistant.accounts import AccountError
    from assistant.bootstrap import ADMIN_PASSWORD_ENV, ensure_first_admin
    from assistant.samples import SAMPLE_COLLECTION, sample_files
    from assistant.supervise import run_supervised

    service = _service()
    if samples:
        _ingest(service, sample_files(), SAMPLE_COLLECTION)
    try:
        first = ensure_first_admin(
            service, password=os.environ.get(ADMIN_PASSWORD_ENV), collection=SAMPLE_COLLECTION
        )
    except AccountError as exc:
        errors.print(f"[red]error[/] {ADMIN_PASSWORD_ENV}: {exc}")
        raise typer.Exit(2) from exc
    if first is not None and first.generated_password is not None:
        console.print(
            f"First start: sign in as '{first.username}' with this password, shown once.",
            markup=False,
            soft_wrap=True,
        )
        console.print("It must be replaced by one of your own at the first sign-in:")
        console.print(first.generated_password, markup=False, highlight=False)
    app_file = Path(__file__).resolve().parent.parent / "ui" / "app.py"
    env = {k: v for k, v in os.environ.items() if k != ADMIN_PASSWORD_ENV}
    env["HF_HUB_OFFLINE"] = "1"
    command = [sys.executable, "-m", "streamlit", "run", str(app_file)]
    command += [f"--server.port={port}", "--server.headless=true"]
    command += ["--browser.gatherUsageStats=false", "--client.toolbarMode=minimal"]
    raise typer.Exit(run_supervised(command, env))
