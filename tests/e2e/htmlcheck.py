#!/usr/bin/python3
"""htmlcheck.py - read chainsniff's HTML report as a strict parser and as a
browser left it (tests/e2e/html.sh).  Standard library, plus python3-pil
for the screenshot.  Each command prints "ok NAME" or "FAIL NAME" with
indented details, one line per check:

  htmlcheck.py strict NAME PAGE
      the page as written: <!DOCTYPE html> first; only the elements and
      attributes the renderer writes (no script, no style attribute, no
      on* handler, href only to "#..."); every non-void element closed, in
      order; void ones never closed; no duplicate id; the only character
      references &amp; &lt; &gt; &quot; &#39;; a Content-Security-Policy
      meta tag with default-src 'none' and script-src 'none'.
  htmlcheck.py dom NAME PAGE DOM
      DOM is Chromium's --dump-dom of PAGE: the same number of elements, no
      element name or (element, attribute) pair the page did not write, no
      script anywhere: whatever the capture held created nothing.
  htmlcheck.py numbers NAME DOM REPORT.json TEXT
      the headline equals the JSON report's totals (and the text report's
      distinct clients); the table lists the JSON's broken servers in its
      order (at most 20: --top), each with its SNI shown as the terminal
      escaping shows it, its endpoint, counts and problem codes in order.
  htmlcheck.py merged NAME DOM MERGED.json
      the windows table equals "windows", the trend chart has a bar per
      distinct window span in each panel, became broken and fixed equal
      "window".
  htmlcheck.py text NAME DOM STRING...
      each STRING, as given, is the whole text of some element
  htmlcheck.py pixels NAME PNG
      the screenshot is not blank: many colours, and ink on 2% of it at least
"""
import base64
import json
import re
import sys
import unicodedata
from html.parser import HTMLParser

VOID = {"meta", "br"}
KNOWN = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p",
         "span", "section", "dl", "div", "dt", "dd", "ul", "ol", "li", "table", "thead",
         "tbody", "tr", "th", "td", "a", "article", "br", "details", "summary", "footer",
         "svg", "text", "rect", "line"}
ATTRS = {"id", "class", "href", "lang", "charset", "http-equiv", "content", "name", "start",
         "open", "viewbox", "role", "aria-label", "xmlns", "x", "y", "width", "height", "x1",
         "y1", "x2", "y2", "text-anchor"}
REFS = {"amp", "lt", "gt", "quot"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.kids, self.text = tag, dict(attrs), parent, [], []

    def all(self):
        yield self
        for k in self.kids:
            if isinstance(k, Node):
                yield from k.all()

    def string(self):
        return "".join(k if isinstance(k, str) else k.string() for k in self.kids)

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def find(self, tag=None, cls=None, id_=None):
        return [n for n in self.all() if (tag is None or n.tag == tag) and
                (cls is None or cls in n.classes()) and (id_ is None or n.attrs.get("id") == id_)]


class Tree(HTMLParser):
    """A tree of the page, with the strict checks' findings in .errors."""

    def __init__(self, strict):
        super().__init__(convert_charrefs=not strict)
        self.root = Node("#root", [], None)
        self.cur, self.errors, self.strict, self.ids, self.doctype = self.root, [], strict, set(), None

    def handle_decl(self, decl):
        if self.doctype is None:
            self.doctype = decl

    def start(self, tag, attrs, closed):
        names = [a for a, _ in attrs]
        if self.strict:
            if tag not in KNOWN:
                self.errors.append(f"unknown element <{tag}> at {self.getpos()}")
            for a, v in attrs:
                if a not in ATTRS:
                    self.errors.append(f"attribute {a} on <{tag}> at {self.getpos()}")
                if a == "href" and not (v or "").startswith("#"):
                    self.errors.append(f"href {v!r} at {self.getpos()}")
                if a == "id":
                    if v in self.ids:
                        self.errors.append(f"duplicate id {v!r}")
                    self.ids.add(v)
            if len(set(names)) != len(names):
                self.errors.append(f"repeated attribute on <{tag}> at {self.getpos()}")
            if closed and tag not in {"line", "rect"}:
                self.errors.append(f"<{tag}/> at {self.getpos()}")
        n = Node(tag, attrs, self.cur)
        self.cur.kids.append(n)
        if tag not in VOID and not closed:
            self.cur = n

    def handle_starttag(self, tag, attrs):
        self.start(tag, attrs, False)

    def handle_startendtag(self, tag, attrs):
        self.start(tag, attrs, True)

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"</{tag}> closes a void element at {self.getpos()}")
            return
        if self.cur.tag != tag:
            self.errors.append(f"</{tag}> closes <{self.cur.tag}> at {self.getpos()}")
            return
        self.cur = self.cur.parent

    def handle_data(self, data):
        self.cur.kids.append(data)

    def handle_entityref(self, name):
        if name not in REFS:
            self.errors.append(f"reference &{name}; at {self.getpos()}")
        self.cur.kids.append({"amp": "&", "lt": "<", "gt": ">", "quot": '"'}.get(name, "?"))

    def handle_charref(self, name):
        if name != "39":
            self.errors.append(f"reference &#{name}; at {self.getpos()}")
        self.cur.kids.append("'")

    def unknown_decl(self, data):
        self.errors.append(f"declaration {data!r}")


def parse(path, strict=False):
    t = Tree(strict)
    with open(path, encoding="utf-8", errors="strict") as f:
        t.feed(f.read())
    t.close()
    if t.cur is not t.root:
        t.errors.append(f"<{t.cur.tag}> never closed")
    return t


def report(name, problems):
    if problems:
        print(f"FAIL {name}")
        for p in problems[:10]:
            print(f"    {p}")
    else:
        print(f"ok {name}")


def elements(t):
    return [n for n in t.root.all() if n is not t.root]


def cmd_strict(name, page):
    t = parse(page, strict=True)
    errs = list(t.errors)
    if (t.doctype or "").lower() != "doctype html":
        errs.append(f"doctype {t.doctype!r}")
    csp = [m.attrs.get("content", "") for m in t.root.find("meta")
           if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    if len(csp) != 1 or "default-src 'none'" not in csp[0] or "script-src 'none'" not in csp[0]:
        errs.append(f"Content-Security-Policy {csp!r}")
    report(name, errs)


def cmd_dom(name, page, dom):
    src, got = parse(page), parse(dom)
    errs = []
    s_el, d_el = elements(src), elements(got)
    if len(s_el) != len(d_el):
        errs.append(f"{len(d_el)} elements in the DOM, {len(s_el)} written")
    s_tags = {n.tag for n in s_el}
    s_pairs = {(n.tag, a) for n in s_el for a in n.attrs}
    for n in d_el:
        if n.tag not in s_tags or n.tag in {"script", "img", "iframe", "object", "embed"}:
            errs.append(f"element <{n.tag}> the page did not write")
        for a in n.attrs:
            if (n.tag, a) not in s_pairs or a.startswith("on"):
                errs.append(f"attribute {a} on <{n.tag}> the page did not write")
    report(name, errs)


def num(s):
    return int(s.replace(",", "").strip())


# An independent reading of esc_term (docs: cs_escape.h): invalid bytes and
# controls as \xNN, format and line-separator characters as \u{XXXX}.
def term(raw):
    out, i = [], 0
    while i < len(raw):
        for n in (1, 2, 3, 4):
            try:
                ch = raw[i:i + n].decode("utf-8")
                break
            except UnicodeDecodeError:
                ch = None
        if ch is None:
            out.append(f"\\x{raw[i]:02x}")
            i += 1
            continue
        cp = ord(ch)
        if cp < 0x20 or 0x7f <= cp <= 0x9f:
            out.append("".join(f"\\x{b:02x}" for b in ch.encode()))
        elif unicodedata.category(ch) in ("Cf", "Zl", "Zp"):
            out.append(f"\\u{{{cp:04X}}}")
        else:
            out.append(ch)
        i += len(ch.encode())
    return "".join(out)


def sni_shown(s):
    if s.get("sni") is None:
        return f"({s['sni_status']})"
    raw = base64.b64decode(s["sni_b64"]) if "sni_b64" in s else s["sni"].encode()
    return term(raw)


def codes_of(s):
    seen = []
    for p in s["problems"]:
        if p["code"] not in seen:
            seen.append(p["code"])
    return seen


def endpoint(s):
    ip = s["server_ip"]
    return f"[{ip}]:{s['server_port']}" if ":" in ip else f"{ip}:{s['server_port']}"


def cmd_numbers(name, dom, rep, text):
    t = parse(dom)
    with open(rep) as f:
        j = json.load(f)
    with open(text, encoding="utf-8") as f:
        m = re.search(r"broken [\d,]+ \([\d,]+ handshakes?, ([\d,]+) clients?\)", f.read())
    stat = {n.attrs["id"]: num(n.string()) for n in t.root.find("dd")}
    tot = j["totals"]
    want = {"servers_broken": tot["servers_broken"], "broken_handshakes": tot["broken_handshakes"],
            "client_rejections": tot["client_rejections"], "tls_handshakes": tot["tls_handshakes"],
            "packets": tot["packets"], "servers": len(j["servers"]),
            "incomplete": tot["incomplete"], "caps_hit": sum(j["caps"].values()),
            "clients_affected": num(m.group(1)) if m else None}
    errs = [f"{k}: page {stat.get(k)}, report {v}" for k, v in want.items() if stat.get(k) != v]
    rows = [{"sni": r.find("td", "sni")[0].string(), "endpoint": r.find("td", "endpoint")[0].string(),
             "broken": num(r.find("td", "broken")[0].string()),
             "handshakes": num(r.find("td", "handshakes")[0].string()),
             "clients": num(r.find("td", "clients")[0].string()),
             "codes": [c.string() for c in r.find("span", "code")]}
            for r in t.root.find("tr", "server")]
    broken = [s for s in j["servers"] if s["status"] == "broken"][:20]
    exp = [{"sni": sni_shown(s), "endpoint": endpoint(s), "broken": s["broken_handshakes"],
            "handshakes": s["handshakes"], "clients": s["clients"], "codes": codes_of(s)}
           for s in broken]
    if len(rows) != len(exp):
        errs.append(f"{len(rows)} rows, {len(exp)} broken servers in the report")
    for i, (r, e) in enumerate(zip(rows, exp)):
        if r != e:
            errs.append(f"row {i + 1}: page {r}, report {e}")
    if not rows:
        errs.append("no row")
    report(name, errs)


def keys(t, cls):
    out = []
    for ul in t.root.find("ul", cls):
        for li in ul.find("li"):
            sp = li.find("span")
            out.append((sp[0].string(), sp[1].string()))
    return out


def cmd_merged(name, dom, rep):
    t = parse(dom)
    with open(rep) as f:
        j = json.load(f)
    errs = []
    rows = [(r.find("td", "start")[0].string(), num(r.find("td", "handshakes")[0].string()),
             num(r.find("td", "broken_handshakes")[0].string()),
             num(r.find("td", "servers_broken")[0].string())) for r in t.root.find("tr", "window")]
    exp = [(w["start"][:19].replace("T", " "), w["handshakes"], w["broken_handshakes"],
            w["servers_broken"]) for w in j["windows"]]
    if rows != exp:
        errs.append(f"windows: page {rows}, report {exp}")
    spans = len({(w["start"], w["end"]) for w in j["windows"]})
    for panel in ("trend-servers", "trend-handshakes"):
        bars = [r for s in t.root.find("svg", id_=panel) for r in s.find("rect")]
        if len(bars) != spans:
            errs.append(f"{panel}: {len(bars)} bars, {spans} window spans")
    for cls, field in (("became-broken", "became_broken"), ("fixed", "fixed")):
        exp_k = [(sni_shown(dict(k, sni_status="not_sent")) if k.get("sni") is not None
                  else "(no SNI)", endpoint(k)) for k in j["window"][field]]
        if keys(t, cls) != exp_k:
            errs.append(f"{field}: page {keys(t, cls)}, report {exp_k}")
    if len(rows) < 2:
        errs.append(f"only {len(rows)} windows")
    report(name, errs)


def cmd_text(name, dom, strings):
    t = parse(dom)
    texts = {n.string() for n in elements(t)}
    errs = [f"no element holds exactly {s!r}" for s in strings if s not in texts]
    report(name, errs)


def cmd_pixels(name, png):
    from PIL import Image

    im = Image.open(png).convert("RGB")
    colors = im.getcolors(maxcolors=1 << 24)
    total = im.width * im.height
    bg = max(colors)[1]
    ink = sum(c for c, rgb in colors if rgb != bg)
    errs = []
    if len(colors) < 50:
        errs.append(f"{len(colors)} colours")
    if ink < total * 0.02:
        errs.append(f"ink on {ink} of {total} pixels")
    report(name, errs)


def main():
    a = sys.argv[1:]
    cmds = {"strict": (cmd_strict, 3), "dom": (cmd_dom, 4), "numbers": (cmd_numbers, 5),
            "merged": (cmd_merged, 4), "pixels": (cmd_pixels, 3)}
    if a and a[0] == "text" and len(a) >= 4:
        cmd_text(a[1], a[2], a[3:])
    elif a and a[0] in cmds and len(a) == cmds[a[0]][1]:
        cmds[a[0]][0](*a[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
