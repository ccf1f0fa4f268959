#!/usr/bin/env python3
"""Print CSP hash sources ('sha256-...') for the inline scripts of a built SPA.

Usage: csp_hashes.py WEB_ROOT        (prints one line, possibly empty)
       csp_hashes.py --self-test

Nuxt's generated index.html carries a small inline <script> (runtime config). With a strict
`script-src 'self'` the browser refuses it, so render.sh adds the hash of each inline script of
the top-level HTML files (index.html, 200.html, 404.html) to the Content-Security-Policy.
Scripts with src=, and data blocks such as type="application/json", need no hash.
"""
import base64
import hashlib
import pathlib
import re
import sys

SCRIPT_RE = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
TYPE_RE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
SRC_RE = re.compile(r"\bsrc\s*=", re.IGNORECASE)
EXECUTABLE_TYPES = {"", "text/javascript", "application/javascript", "module", "text/ecmascript"}


def inline_script_hashes(html: str) -> list[str]:
    hashes = []
    for attrs, body in SCRIPT_RE.findall(html):
        if SRC_RE.search(attrs):
            continue
        m = TYPE_RE.search(attrs)
        if (m.group(1).lower() if m else "") not in EXECUTABLE_TYPES:
            continue
        body = body.replace("\r\n", "\n").replace("\r", "\n")  # as the HTML parser sees it
        digest = hashlib.sha256(body.encode("utf-8")).digest()
        hashes.append("'sha256-%s'" % base64.b64encode(digest).decode("ascii"))
    return hashes


def hashes_for_root(root: pathlib.Path) -> list[str]:
    found: list[str] = []
    for name in ("index.html", "200.html", "404.html"):
        f = root / name
        if f.is_file():
            for h in inline_script_hashes(f.read_text(encoding="utf-8", errors="replace")):
                if h not in found:
                    found.append(h)
    return found


def self_test() -> None:
    html = (
        '<html><head><script type="module" src="/_nuxt/a.js"></script>'
        '<script>window.__NUXT__={}</script>'
        '<script type="application/json" id="__NUXT_DATA__">[1]</script>'
        "<SCRIPT type='text/javascript'>\r\nx()\r\n</SCRIPT></head></html>"
    )
    got = inline_script_hashes(html)
    want = [
        "'sha256-%s'" % base64.b64encode(hashlib.sha256(b"window.__NUXT__={}").digest()).decode(),
        "'sha256-%s'" % base64.b64encode(hashlib.sha256(b"\nx()\n").digest()).decode(),
    ]
    assert got == want, (got, want)
    assert inline_script_hashes("<p>no scripts</p>") == []
    print("csp_hashes self-test: 2 passed, 0 failed")


def main(argv: list[str]) -> int:
    if argv[1:] == ["--self-test"]:
        self_test()
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    print(" ".join(hashes_for_root(pathlib.Path(argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
