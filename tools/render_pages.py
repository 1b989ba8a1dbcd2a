"""Look at the learners' pages as GitHub shows them: render docs/learn/*.md with cmark-gfm (GitHub's
Markdown renderer) to HTML with GitHub-like styles, and optionally take a screenshot of each in
headless Chromium. A maintainer's tool: the tests do not need it (nor cmarkgfm, which is not a
dependency of the project: `pip install cmarkgfm`).

python tools/render_pages.py OUT [PAGE.md ...]        HTML into OUT (every page when none named)
python tools/render_pages.py OUT --screenshot [PAGE.md ...]
    also OUT/NAME.png, a full-page screenshot 1280 px wide (Chromium: --chromium PATH)

Headings get the anchors GitHub gives them (reference.pages.slug), links between pages point at the
HTML files, and images are taken from the pages' folder, so the HTML reads as the pages do on GitHub.
Chinese needs a CJK font on the machine (Debian: fonts-noto-cjk), or it shows as boxes.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from reference.pages import DEFAULT_OUT, slug

REPOSITORY = Path(__file__).resolve().parents[1]
PAGES = REPOSITORY / DEFAULT_OUT
WIDTH = 1280  # a desktop browser window; GitHub's file view is about 1012 px of it

# GitHub's markdown-body in its light theme, as far as these pages use it (github-markdown-css).
STYLE = """
body { margin: 0; background: #fff; }
.markdown-body { box-sizing: border-box; max-width: 1012px; margin: 0 auto; padding: 32px;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial,
  "Noto Sans CJK SC", sans-serif; font-size: 16px; line-height: 1.5; color: #1f2328;
  word-wrap: break-word; }
.markdown-body h1, .markdown-body h2 { padding-bottom: .3em; border-bottom: 1px solid #d1d9e0b3; }
.markdown-body h1 { font-size: 2em; } .markdown-body h2 { font-size: 1.5em; }
.markdown-body h3 { font-size: 1.25em; } .markdown-body h4 { font-size: 1em; }
.markdown-body h1, .markdown-body h2, .markdown-body h3, .markdown-body h4 {
  margin-top: 24px; margin-bottom: 16px; font-weight: 600; line-height: 1.25; }
.markdown-body p, .markdown-body ul, .markdown-body table, .markdown-body pre,
.markdown-body blockquote, .markdown-body details { margin-top: 0; margin-bottom: 16px; }
.markdown-body a { color: #0969da; text-decoration: none; }
.markdown-body code { padding: .2em .4em; margin: 0; font-size: 85%; white-space: break-spaces;
  background-color: #818b981f; border-radius: 6px; }
.markdown-body code, .markdown-body pre { font-family: ui-monospace, SFMono-Regular, "SF Mono",
  Menlo, Consolas, "Liberation Mono", "Noto Sans Mono CJK SC", monospace; }
.markdown-body pre { padding: 16px; overflow: auto; font-size: 85%; line-height: 1.45;
  background-color: #f6f8fa; border-radius: 6px; }
.markdown-body pre code { padding: 0; background: transparent; font-size: 100%;
  white-space: pre; }
.markdown-body blockquote { padding: 0 1em; color: #59636e; border-left: .25em solid #d1d9e0; }
.markdown-body table { display: block; width: max-content; max-width: 100%; overflow: auto;
  border-spacing: 0; border-collapse: collapse; }
.markdown-body table th { font-weight: 600; }
.markdown-body table th, .markdown-body table td { padding: 6px 13px; border: 1px solid #d1d9e0; }
.markdown-body table tr { background-color: #fff; border-top: 1px solid #d1d9e0b3; }
.markdown-body table tr:nth-child(2n) { background-color: #f6f8fa; }
.markdown-body img { max-width: 100%; box-sizing: content-box; }
.markdown-body ul { padding-left: 2em; } .markdown-body li + li { margin-top: .25em; }
"""


def render(markdown: str) -> str:
    """GitHub's Markdown as HTML: cmark-gfm with GitHub's extensions (tables, autolinks,
    strikethrough, task lists); raw HTML (<details>, comments) kept, as GitHub keeps those."""
    import cmarkgfm
    from cmarkgfm.cmark import Options

    return cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)


def with_anchors(body: str) -> str:
    """Each heading with the id GitHub gives it (a repeated heading gets -1, -2 …)."""
    seen: dict[str, int] = {}

    def anchor(match: re.Match) -> str:
        text = html.unescape(re.sub(r"<[^>]+>", "", match["inner"]))
        base = slug(text)
        count = seen.get(base, 0)
        seen[base] = count + 1
        ident = base if count == 0 else f"{base}-{count}"
        return f'<h{match["level"]} id="{ident}">{match["inner"]}</h{match["level"]}>'

    return re.sub(r"<h(?P<level>[1-6])>(?P<inner>.*?)</h(?P=level)>", anchor, body)


def page_html(path: Path) -> str:
    body = with_anchors(render(path.read_text(encoding="utf-8")))
    body = re.sub(r'href="([^":#]+)\.md(#[^"]*)?"', r'href="\1.html\2"', body)
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(path.name)}</title>'
        f'<style>{STYLE}</style></head><body><article class="markdown-body">{body}</article>'
        "</body></html>\n"
    )


def screenshot(chromium: str, page: Path, png: Path, height: int) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars",
             f"--screenshot={png}", f"--window-size={WIDTH},{height}", page.as_uri()],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the folder for the HTML (and screenshots)")
    parser.add_argument("pages", nargs="*", help="page file names (default: every page)")
    parser.add_argument("--screenshot", action="store_true", help="also a PNG of each page")
    parser.add_argument("--height", type=int, default=3000, help="screenshot height in pixels")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_intermixed_args(argv)
    names = args.pages or sorted(p.name for p in PAGES.glob("*.md"))
    missing = [n for n in names if not (PAGES / n).is_file()]
    if missing:
        parser.error(f"no such page in {PAGES}: {', '.join(missing)}")
    args.out.mkdir(parents=True, exist_ok=True)
    images = args.out / "images"
    if images.exists():
        shutil.rmtree(images)
    shutil.copytree(PAGES / "images", images)
    for name in names:
        target = args.out / Path(name).with_suffix(".html")
        target.write_text(page_html(PAGES / name), encoding="utf-8")
        if args.screenshot:
            screenshot(args.chromium, target.resolve(), target.with_suffix(".png"), args.height)
        print(target.with_suffix(".png" if args.screenshot else ".html"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
