"""String-level markup work done before a parser sees the HTML, without losing a word of text.

Both HTML parsers we use pay for depth: libxml2 stops reading at 256 open elements (the rest
of the story is silently lost), and html5ever (under nh3) spends time quadratic in the depth
(50,000 nested <div>s: 9 s). No story nests more than a few dozen levels, so start tags beyond
NESTING_LIMIT open elements are left out, with their end tags; text and everything else stay.
"""

import re
from collections import Counter

NESTING_LIMIT = 100
VOID = frozenset({
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
})
# A tag with its attributes; "<" is never part of one, so a failed match costs at most the
# distance to the next "<" and the scan stays linear however hostile the input.
TAG = re.compile(r"<(/?)([a-zA-Z][^\s/<>]*)(?:[^<>\"']|\"[^<\"]*\"|'[^<']*')*>|<!--")


def _tags(markup: str):
    """Yield the start and end tags of `markup` in order; comments are skipped whole."""
    position = 0
    while match := TAG.search(markup, position):
        position = match.end()
        if match.group(0) == "<!--":
            end = markup.find("-->", position)
            position = len(markup) if end < 0 else end + 3
            continue
        yield match


def cap_nesting(markup: str, *, limit: int = NESTING_LIMIT) -> tuple[str, bool]:
    """Return (`markup` with start tags nested deeper than `limit` left out, whether any were)."""
    if markup.count("<") <= limit:  # too few tags to nest that deep: the common case, at C speed
        return markup, False
    pieces: list[str] = []
    kept_from = 0
    open_names: list[str] = []
    left_out: Counter[str] = Counter()  # start tags left out, by name, awaiting their end tags
    for match in _tags(markup):
        name = match.group(2).lower()
        omit = False
        if match.group(1):  # an end tag closes the innermost open element of its name
            if left_out[name]:
                left_out[name] -= 1
                omit = True
            elif name in open_names:
                del open_names[len(open_names) - 1 - open_names[::-1].index(name):]
        elif name not in VOID:
            if len(open_names) >= limit:
                left_out[name] += 1
                omit = True
            else:
                open_names.append(name)
        if omit:
            pieces.append(markup[kept_from:match.start()])
            kept_from = match.end()
    if kept_from == 0:
        return markup, False
    pieces.append(markup[kept_from:])
    return "".join(pieces), True


def cut_elements(markup: str, names: frozenset[str]) -> tuple[str, dict[str, int]]:
    """Return (`markup` without the elements named in `names`, each cut from its start tag to
    the end tag that closes it as a browser closes them; the characters of text cut, by name).

    libxml2 lets an unclosed child outlive its parent's end tag ("<template><table></template>
    text" keeps "text" inside the template), so dropping such an element from its tree would
    drop the story after it too.
    """
    opening = re.compile(rf"<(?:{'|'.join(sorted(names))})[\s/>]", re.I)
    if not opening.search(markup):  # the common case, at C speed
        return markup, {}
    pieces: list[str] = []
    cut: dict[str, int] = {}
    kept_from = 0
    inside: str | None = None  # the name of the element being cut
    depth = 0
    cut_from = 0
    for match in _tags(markup):
        name = match.group(2).lower()
        if inside is None:
            if name in names and not match.group(1):
                inside, depth, cut_from = name, 1, match.start()
        elif name == inside:
            depth += -1 if match.group(1) else 1
            if depth == 0:
                words = len("".join(TAG.sub("", markup[cut_from:match.end()]).split()))
                cut[inside] = cut.get(inside, 0) + words
                pieces.append(markup[kept_from:cut_from])
                kept_from, inside = match.end(), None
    pieces.append(markup[kept_from:])  # an element never closed is left to the parser
    return "".join(pieces), {name: words for name, words in cut.items() if words}
