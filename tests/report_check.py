"""report_check.py — checks an `rcc report` folder for test_report.sh: index.html is UTF-8 and
parses, every file it references exists inside the folder, every #anchor has its target, no
element carries a script (no <script>, no on* attribute, no javascript: URL), and each given
text appears as text (escaped in the file, whole after parsing).

Usage: /usr/bin/python3 report_check.py REPORT_DIR [--text T]... [--texts-file F]
  --texts-file: one expected text per line (UTF-8; U+FFFD where the name had bad bytes).
Prints one line per problem and exits 1 if there was any. Debian's python3, standard library only."""
import html.parser
import os
import sys
import urllib.parse


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.refs, self.ids, self.anchors, self.texts, self.problems = [], set(), [], [], []
        self.images = 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.problems.append("a <script> element")
        if tag == "img":
            self.images += 1
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"event handler attribute {name}={value!r} on <{tag}>")
            if name == "id":
                self.ids.add(value)
            if name in ("src", "href"):
                if value.strip().lower().startswith(("javascript:", "vbscript:")):
                    self.problems.append(f"script URL {value!r}")
                elif value.startswith("#"):
                    self.anchors.append(value[1:])
                else:
                    self.refs.append(value)
            if name in ("title", "alt"):
                self.texts.append(value)

    def handle_data(self, data):
        self.texts.append(data)


def main():
    args = sys.argv[1:]
    folder, expect = args[0], []
    i = 1
    while i < len(args):
        if args[i] == "--text":
            expect.append(args[i + 1])
        elif args[i] == "--texts-file":
            with open(args[i + 1], encoding="utf-8") as f:
                expect += [line.rstrip("\n") for line in f if line.strip()]
        i += 2
    problems = []
    raw = open(os.path.join(folder, "index.html"), "rb").read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        print(f"index.html is not UTF-8: {e}")
        return 1
    page = Page()
    page.feed(text)
    page.close()
    problems += page.problems
    real = os.path.realpath(folder)
    for ref in page.refs:
        parts = urllib.parse.urlsplit(ref)
        if parts.scheme or parts.netloc:
            problems.append(f"external reference {ref!r}")
            continue
        path = os.path.realpath(os.path.join(folder, urllib.parse.unquote(parts.path)))
        if not path.startswith(real + os.sep):
            problems.append(f"reference outside the folder: {ref!r}")
        elif not os.path.isfile(path):
            problems.append(f"referenced file missing: {ref!r}")
    for a in page.anchors:
        if a not in page.ids:
            problems.append(f"link to #{a} without a target")
    everything = "\n".join(page.texts)
    for t in expect:
        if t not in everything:
            problems.append(f"text not shown as text: {t!r}")
    for p in problems:
        print(p)
    print(f"report_check: {len(page.refs)} references, {page.images} images, {len(expect)} texts, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
