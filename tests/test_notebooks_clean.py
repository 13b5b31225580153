"""Notebooks are committed clean: no outputs, no execution counts (CI refuses),
and every notebook has the series' skeleton."""
import ast
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
HIDDEN = {"jupyter": {"source_hidden": True}}
CHECK_CELL = "# Checks that the "


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 1
    assert any(path.name.startswith("A1_") for path in NOTEBOOKS)   # the appendix is collected


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, (f"{path.name}: cells {dirty} have outputs; run "
                       "`make strip` before committing")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_cell_has_its_own_id(path):
    """nbformat 4.5 wants a cell id (4.4, older notebooks, allows none); nbformat.read adds a
    missing one silently (and will refuse it one day), so read the file as it is committed."""
    import json
    nb = json.loads(path.read_text(encoding="utf-8"))
    if (nb["nbformat"], nb["nbformat_minor"]) < (4, 5):
        assert not any("id" in cell for cell in nb["cells"])     # 4.4 allows none
        return
    cells = nb["cells"]
    missing = [i for i, cell in enumerate(cells) if not cell.get("id")]
    assert not missing, f"{path.name}: cells {missing} have no id (open and save it in JupyterLab)"
    ids = [cell["id"] for cell in cells]
    assert len(set(ids)) == len(ids), f"{path.name}: two cells share an id"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cell_metadata_is_clean(path):
    """No cell metadata except the collapsed source of the hidden check cells."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        is_check = cell.cell_type == "code" and cell.source.startswith(CHECK_CELL)
        assert cell.metadata == (HIDDEN if is_check else {}), (
            f"{path.name}, cell {i}: metadata {dict(cell.metadata)}; a cell whose first line is "
            f"'{CHECK_CELL}...' is hidden, every other cell has none (`make strip`)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_the_series_skeleton(path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    for heading in ("You will learn", "Setup", "Summary", "Exercises"):
        assert heading in text, f"{path.name} lacks a '{heading}' section"


def _setup_cell(nb) -> str:
    heading = next(i for i, c in enumerate(nb.cells)
                   if c.cell_type == "markdown" and c.source.startswith("## Setup"))
    return next(c.source for c in nb.cells[heading + 1:] if c.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_is_short(path):
    """Imports, ``QUICK = style_lib.setup()`` and the notebook's constants: the
    seed, the version checks and the mode line are ``setup()``'s business."""
    source = _setup_cell(nbformat.read(path, as_version=4))
    assert "QUICK = style_lib.setup()" in source, f"{path.name}: Setup must call style_lib.setup()"
    tree = ast.parse(source)
    asserts = [node for node in ast.walk(tree) if isinstance(node, ast.Assert)]
    assert not asserts, f"{path.name}: the version checks are style_lib.setup()'s job"
    assert "set_random_seed" not in source, f"{path.name}: style_lib.setup() seeds"


#: Words a student cannot know: the project's history and internal names.
#: (pattern, what to write instead)
JARGON = [
    (r"\bthe seed\b(?! (of|=|is|for) )", "name the source (e.g. the Hvass-Labs tutorial #15 recipe)"),
    (r"original course|first version of this course|previous version", "say what it is"),
    (r"\bseed_(image|history|steps)\b|\bSEED_STEPS\b", "name it by what it holds (gd_image, ...)"),
    (r"\bthe note\b", "cite it: Gatys et al., 'Preserving colour in neural artistic style transfer' (2016)"),
    (r"\bthe issue\b|\bissue #?\d+\b", "say it without the project's tracker"),
]


def _student_text(nb) -> list[tuple[int, str]]:
    """(cell index, text) of every cell a student reads: markdown and code."""
    return [(i, c.source) for i, c in enumerate(nb.cells)
            if not c.source.startswith(CHECK_CELL)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_words_a_student_cannot_know(path):
    import re
    nb = nbformat.read(path, as_version=4)
    for i, text in _student_text(nb):
        for pattern, instead in JARGON:
            found = re.search(pattern, text, re.IGNORECASE)
            assert not found, (f"{path.name}, cell {i}: {found.group(0)!r} means nothing "
                               f"to a student; {instead}")


def test_the_command_line_help_has_no_jargon(capsys):
    import re
    from style_lib import cli
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    for pattern, instead in JARGON:
        assert not re.search(pattern, text, re.IGNORECASE), (pattern, instead)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_quick_mode_is_explained_where_it_is_set(path):
    """The Setup cell's ``QUICK`` is said in words in the cell above or in it."""
    nb = nbformat.read(path, as_version=4)
    heading = next(i for i, c in enumerate(nb.cells)
                   if c.cell_type == "markdown" and c.source.startswith("## Setup"))
    text = nb.cells[heading].source + _setup_cell(nb)
    assert "quick" in text.lower() and ("STYLE_LIB_QUICK" in text or "quick mode" in text.lower()), (
        f"{path.name}: say in the Setup section what QUICK (quick mode) is")


#: A measured time or speed in words: "82 ms", "12.5 min", "52x faster", "a few tens of
#: milliseconds", "a quarter of an hour", "hundreds of times".
MEASURED = (r"\b\d[\d.,]*\s?(ms|milliseconds?|s|seconds?|min|minutes?|hours?)\b"
            r"|\b\d[\d,.]*\s?(times|×|x)\s(faster|slower|sooner)"
            r"|\b(several|hundreds of|thousands of|tens of|a few|dozens of)\s"
            r"(times|milliseconds|seconds|minutes)\b"
            r"|quarter of an hour|half an hour")
#: Where a quoted time may come from: a committed measurement, the paper, or "printed above".
SOURCE = (r"make bench|RESULTS|full mode|class mode|2-core|two-core|2 cores|two cores"
          r"|laptop|quiet machine|printed|prints|the paper|supplementary|on a GPU|setting")


def _paragraphs(markdown: str) -> list[str]:
    """The prose of a markdown cell by paragraph (a table stays with the paragraph above it),
    without solutions, headings, maths and code spans."""
    import re
    text = re.sub(r"<details>.*?</details>", "", markdown, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*`", " ", text, flags=re.S)
    text = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return [re.sub(r"\s+", " ", p) for p in re.split(r"\n\s*\n(?!\s*\|)", text)]


def _unsourced_time(paragraph: str):
    """The first measured time in ``paragraph`` if the paragraph names no source, else None."""
    import re
    found = re.search(MEASURED, paragraph, re.IGNORECASE)
    return None if not found or re.search(SOURCE, paragraph, re.IGNORECASE) else found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_quoted_times_name_their_source(path):
    """A time or speed-up written into the text goes stale or contradicts the number the
    cell prints on the student's machine (notebook 11 said "several times faster" above
    "52x faster"). The text either refers to the printed number or names where its
    number was measured (make bench, full mode on 2 cores, the paper)."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for paragraph in _paragraphs(cell.source):
            found = _unsourced_time(paragraph)
            assert not found, (
                f"{path.name}, cell {i}: {found.group(0)!r} is a time the text cannot know; "
                "refer to the printed number, or say where it was measured (make bench, "
                f"full mode on 2 cores, the paper): {paragraph[:160]!r}")


def test_quoted_times_catch_a_bare_number():
    """The check above fails on the kind of sentence it is for, and passes its fixes."""
    bad = ["The network answers in a few tens of milliseconds.",
           "Training takes a quarter of an hour.",
           "The convolution is several times faster."]
    good = ["The network is faster by the ratio printed above.",
            "Training takes 12 min in full mode on 2 cores.",
            "Each of its 3×3 filters sees a 4× larger patch."]
    for text in bad:
        assert _unsourced_time(_paragraphs(text)[0]), text
    for text in good:
        assert not _unsourced_time(_paragraphs(text)[0]), text
