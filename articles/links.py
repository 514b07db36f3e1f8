"""The public site's addresses, as reverse() gives them, at a fraction of its cost.

A list page links each story, its source and its section: ~75 reverse() calls, which cost a
third of the page's rendering (each walks the resolver's tables and the active language).
Here each URL name is reversed once per script prefix, with placeholder arguments, into a
template that later calls fill in, quoted as reverse() quotes them.
"""

import re
from functools import cache
from urllib.parse import quote

from django.urls import get_script_prefix, reverse
from django.utils.http import RFC3986_SUBDELIMS

# Placeholders that the int, slug and str converters accept (not the archive's yyyy and mm).
_MARK_DIGITS = "1987654321"
_MARK_TEXT = "zqxplaceholderzqx"
_SAFE = RFC3986_SUBDELIMS + "~:@"
# Slugs and stock symbols: nothing that quote() would change.
_UNRESERVED = re.compile(r"[-A-Za-z0-9_.~]*")


@cache
def _template(name: str, kinds: tuple[type, ...], prefix: str) -> tuple[str, ...]:
    marks = [int(_MARK_DIGITS) if kind is int else _MARK_TEXT for kind in kinds]
    url = reverse(name, args=marks)
    pieces, rest = [], url
    for mark in marks:
        before, found, rest = rest.partition(str(mark))
        if not found:
            raise ValueError(f"{name}: cannot make a template of {url}")
        pieces.append(before)
    pieces.append(rest)
    return tuple(pieces)


def path_to(name: str, *args) -> str:
    """Return reverse(name, args=args) for a URL whose arguments are int, slug or str.

    Unlike reverse(), arguments are not matched against the pattern: slugs are validated
    where they are saved (SlugField, ascii_slug()).
    """
    pieces = _template(name, tuple(int if isinstance(a, int) else str for a in args),
                       get_script_prefix())
    out = [pieces[0]]
    for arg, piece in zip(args, pieces[1:], strict=True):
        if isinstance(arg, int):
            out.append(str(arg))
        else:
            out.append(arg if _UNRESERVED.fullmatch(arg) else quote(arg, safe=_SAFE))
        out.append(piece)
    return "".join(out)


def remembered_path(instance, name: str, *args) -> str:
    """path_to(name, *args), kept on `instance` for as long as `args` stay the same.

    A list page's stories share a few source and section instances (articles/reads.py),
    each linked from every story.
    """
    known = instance.__dict__.get("_remembered_path")
    if known is None or known[0] != (name, args):
        known = instance.__dict__["_remembered_path"] = ((name, args), path_to(name, *args))
    return known[1]
