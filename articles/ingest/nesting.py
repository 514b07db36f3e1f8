"""Bounding how deeply HTML nests before a parser sees it, without losing a word of text.

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


def cap_nesting(markup: str, *, limit: int = NESTING_LIMIT) -> tuple[str, bool]:
    """Return (`markup` with start tags nested deeper than `limit` left out, whether any were)."""
    if markup.count("<") <= limit:  # too few tags to nest that deep: the common case, at C speed
        return markup, False
    pieces: list[str] = []
    kept_from = 0
    open_names: list[str] = []
    left_out: Counter[str] = Counter()  # start tags left out, by name, awaiting their end tags
    position = 0
    while match := TAG.search(markup, position):
        position = match.end()
        if match.group(0) == "<!--":
            end = markup.find("-->", position)
            position = len(markup) if end < 0 else end + 3
            continue
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
