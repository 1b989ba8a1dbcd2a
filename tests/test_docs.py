"""What the README and the docs point to exists: every linked file and section (a heading's anchor,
as GitHub makes it), every repository path they name in backticks, the release routine that the
workflows and tools send readers to; and the offline CUDA recipe names the test extra's packages."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\s]+)`")
# A repository path: under one of the tree's own folders, no placeholder (X, NNN, NAME, a glob).
TOP = (
    "reference/",
    "reference_testing/",
    "tests/",
    "tools/",
    "docs/",
    "snapshots/",
    ".github/",
    ".ci/",
)
PLACEHOLDER = re.compile(r"\b(X|NNN|NAME|RELEASE|PATH|PNG)\b|[*{<]")
ROUTINE = "docs/maintainers.md#when-pytorch-releases-a-new-version"


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces made hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(document: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", document.read_text(encoding="utf-8"), flags=re.S | re.M)
    return {anchor(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}


def broken_link(document: Path, target: str) -> str | None:
    if re.match(r"^[a-z]+:", target):
        return None  # a web address
    path, _, section = target.partition("#")
    where = (document.parent / path).resolve() if path else document
    if not where.exists():
        return f"{target}: no such file"
    if section and (where.suffix != ".md" or section not in anchors(where)):
        return f"{target}: no section #{section} in {where.name}"
    return None


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.name)
def test_every_link_reaches_a_file_and_section_that_exist(document):
    targets = LINK.findall(document.read_text(encoding="utf-8"))
    assert targets, "the check reads links"
    broken = [why for target in targets if (why := broken_link(document, target))]
    assert broken == []


def test_every_repository_path_named_exists():
    named = {
        token.rstrip(".,:;").split("::")[0]
        for document in DOCUMENTS
        for token in CODE.findall(document.read_text(encoding="utf-8"))
        if token.startswith(TOP) and not PLACEHOLDER.search(token)
    }
    assert len(named) > 20, "the check reads paths"
    assert sorted(path for path in named if not (ROOT / path).exists()) == []


def test_a_missing_file_or_section_is_caught(tmp_path):
    """The checks above can fail."""
    page = tmp_path / "page.md"
    page.write_text("# A page\n\n## The section\n", encoding="utf-8")
    assert broken_link(page, "page.md#the-section") is None
    assert broken_link(page, "#a-page") is None
    assert broken_link(page, "page.md#another-section") is not None
    assert broken_link(page, "gone.md") is not None


def test_the_workflows_and_tools_send_readers_to_the_release_routine():
    assert broken_link(ROOT / "README.md", ROUTINE) is None
    watch = (ROOT / ".github/workflows/torch-release-watch.yml").read_text(encoding="utf-8")
    assert "/docs/maintainers.md#when-pytorch-releases-a-new-version" in watch
    changes = (ROOT / "tools/snapshot_changes.py").read_text(encoding="utf-8")
    assert '"When PyTorch releases a new version"' in changes
    assert anchor("When PyTorch releases a new version") in anchors(ROOT / "docs/maintainers.md")
    for path in [*ROOT.glob(".github/workflows/*.yml"), *ROOT.glob("tools/*.py")]:
        for section in re.findall(
            r"docs/maintainers\.md#([\w-]+)", path.read_text(encoding="utf-8")
        ):
            assert section in anchors(ROOT / "docs/maintainers.md"), (path.name, section)


def test_the_offline_cuda_recipe_names_the_test_extra():
    """Run as written in a venv with torch alone, it must bring every package the suite needs: the
    test extra, each named in the download and in the install, and nothing else."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    recipe = readme[readme.index("**The CUDA leg on a machine without network**") :]
    block = recipe[recipe.index("```bash") : recipe.index("```\n", recipe.index("```bash") + 7)]
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = extra["project"]["optional-dependencies"]["test"]
    for requirement in wanted:
        token = requirement if re.fullmatch(r"[\w-]+", requirement) else f'"{requirement}"'
        assert len(re.findall(rf"(?<![\w-]){re.escape(token)}(?![\w-])", block)) == 2, requirement
    quoted = set(re.findall(r'"([^"]+)"', block))
    assert quoted <= set(wanted), quoted - set(wanted)
