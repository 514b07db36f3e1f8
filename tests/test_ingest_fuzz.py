"""Property tests (hypothesis, fixed budget, derandomized): hostile input never crashes the
parser, and clean_html never loses story text that the generator knows is there."""

import re
from pathlib import Path

from django.test import SimpleTestCase
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.ingest.cleaning import clean_html, sanitise
from articles.ingest.parsing import ParseError, parse_bytes

SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"
CORPUS = Path(__file__).resolve().parent / "fixtures" / "finews"
SAMPLES = [path.read_bytes() for path in sorted(SEEDS.iterdir())] + [
    (CORPUS / name).read_bytes() for name in ("2022-05-26-202205262391921712.md", "-202205262391921712.md")
]
BUDGET = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def parses_or_refuses(data: bytes) -> None:
    try:
        parsed = parse_bytes(data, name="2022-05-26-202205262391921712.md")
    except ParseError:
        return
    assert len(parsed.title) <= 300 and (parsed.original_url is None or len(parsed.original_url) <= 500)


# --- (a) parse_bytes: nothing but ParseError, whatever the bytes -------------------------

YAML_ATOMS = st.sampled_from([
    "title", "date", "categories", "tags", "layout", "&a", "*a", "!!timestamp", "!!int", "!!binary",
    "!!python/object:os.system", "[", "]", "{", "}", ":", "- ", "|", ">", "'", '"', "\\u202e", "~",
    "null", "9999-12-31 23:59:59 -2359", "0000-00-00", "2022-02-30 25:61:61 +2400", "1e400", "<<",
    "9" * 40, "\n", "\n  ", "\t", "#", "---", "...", "%YAML 1.1", "中国经济网新闻", "\x00", "\ufeff",
])
YAML_SOUP = st.lists(st.one_of(YAML_ATOMS, st.text(max_size=12)), max_size=40).map("".join)
DATES = st.builds(
    "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d} {}{:02d}{:02d}".format,
    st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32), st.integers(0, 25), st.integers(0, 61),
    st.integers(0, 61), st.sampled_from("+-"), st.integers(0, 99), st.integers(0, 99),
)
FIELDS = st.lists(st.one_of(
    DATES.map("date: {}".format),
    st.text(max_size=30).map(lambda value: "title: " + repr(value).replace("'", '"')),
    st.sampled_from(["title:", "tags: [1, {a: b}]", "categories: [[x]]", "tags: " + "新闻" * 300,
                     "categories: " + "k" * 300, "title: " + "长" * 400]),
), max_size=6).map("\n".join)
FRONT_MATTER = st.one_of(FIELDS, YAML_SOUP)
BODY = st.lists(st.one_of(
    st.sampled_from(["<p>", "</p>", "<form>", "<embed>", "<div>", "<script>", "> 摘要\n", "\n\n",
                     "<http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202202212282659685>",
                     "（文章来源：中国证券报）", "<a data-code=\"1.600690\" class=\"keytip\">海尔</a>"]),
    st.text(max_size=20),
), max_size=30).map("".join)


@st.composite
def mutated_samples(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if kind == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.one_of(st.binary(max_size=16), YAML_ATOMS.map(str.encode)))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        else:
            del data[at:]
    return bytes(data)


class ParseBytesFuzzTests(SimpleTestCase):
    @BUDGET
    @given(st.binary(max_size=3000))
    def test_arbitrary_bytes(self, data):
        parses_or_refuses(data)

    @BUDGET
    @given(FRONT_MATTER, BODY)
    def test_generated_front_matter_and_body(self, front_matter, body):
        parses_or_refuses(f"---\n{front_matter}\n---\n{body}".encode("utf-8", "surrogatepass"))

    @BUDGET
    @given(mutated_samples())
    def test_mutated_real_files(self, data):
        parses_or_refuses(data)


# --- (b) clean_html keeps every text node it has no reason to remove ---------------------

KEPT = ["p", "b", "strong", "em", "i", "u", "s", "sub", "sup", "blockquote", "ul", "ol", "li", "h2",
        "h3", "figure", "figcaption", "a", "pre", "code", "table", "tr", "td", "div", "span", "font",
        "center", "section", "form", "button", "select", "label", "fieldset", "small", "dl", "dd"]
VOID = ["br", "hr", "img", "embed", "source", "track", "param", "input", "wbr", "area", "col",
        "keygen", "link", "meta"]
REMOVED = ["script", "style", "template", "svg", "math", "object", "noscript", "textarea", "title",
           "iframe"]
RAW_TEXT = {"script", "style", "noscript", "textarea", "title", "iframe"}  # hold text, never tags
WORDS = st.text(alphabet="的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可也你",
                min_size=1, max_size=6)


def text_node(words):
    return ("text", words)


def trees(depth: int):
    leaf = st.one_of(WORDS.map(text_node), st.sampled_from(VOID).map(lambda tag: ("void", tag)))
    if depth == 0:
        return leaf
    children = st.lists(trees(depth - 1), max_size=4)
    return st.one_of(
        leaf,
        st.tuples(st.just("kept"), st.sampled_from(KEPT), children, st.booleans()),
        st.tuples(st.just("removed"), st.sampled_from(REMOVED), st.lists(WORDS.map(text_node), max_size=2)),
        st.tuples(st.just("removed"), st.sampled_from(["template", "svg", "math", "object"]), children),
    )


DOCUMENTS = st.lists(trees(4), min_size=1, max_size=6)


def render(nodes, *, removed: bool, expected: list, gone: list) -> str:
    """Return the HTML of `nodes`; number each text, and note it as expected or removed."""
    out = []
    for node in nodes:
        if node[0] == "text":
            word = f"{node[1]}Q{len(expected) + len(gone)}Z"  # unique, so absence can be checked
            (gone if removed else expected).append(word)
            out.append(word)
        elif node[0] == "void":
            out.append(f"<{node[1]}>")
        elif node[0] == "kept":
            _, tag, children, closed = node
            out.append(f"<{tag}>" + render(children, removed=removed, expected=expected, gone=gone)
                       + (f"</{tag}>" if closed else ""))
        else:
            _, tag, children = node[:3]
            out.append(f"<{tag}>" + render(children, removed=True, expected=expected, gone=gone) + f"</{tag}>")
    return "".join(out)


class CleanHtmlFuzzTests(SimpleTestCase):
    @BUDGET
    @given(DOCUMENTS)
    def test_every_text_outside_removed_elements_survives(self, document):
        expected: list[str] = []
        gone: list[str] = []
        raw = render(document, removed=False, expected=expected, gone=gone)
        cleaned = clean_html(raw)
        for word in expected:
            self.assertIn(word, cleaned.text, raw)
            self.assertIn(word, cleaned.html, raw)
        self.assertEqual(sanitise(cleaned.html), cleaned.html, raw)  # idempotent
        scripts = re.findall(r"<script>(.*?)</script>", raw)
        for word in (w for w in gone if any(w in s for s in scripts)):
            self.assertNotIn(word, cleaned.html)

    @BUDGET
    @given(st.text(max_size=400))
    def test_sanitise_is_idempotent_on_any_text(self, fragment):
        once = sanitise(fragment)
        self.assertEqual(sanitise(once), once)
