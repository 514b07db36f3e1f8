"""HTML surgery for scraped bodies: remove the scraper's debris, keep the story, sanitise.

Site-specific work (eastmoney stock charts, quote links, source lines) is done on an lxml
tree; the final allow-listing is done by nh3 (ammonia), a maintained sanitiser.
"""

import html
import itertools
import re
from dataclasses import dataclass

import lxml.html
import nh3
from lxml import etree
from lxml.html import HtmlElement

from articles.ingest.nesting import NESTING_LIMIT, cap_nesting, cut_elements
from articles.stocks import a_share_market

# eastmoney market ids -> our market codes. 90 is a sector board, kept apart as a tag.
MARKETS = {"0": "SZ", "1": "SH", "116": "HK", "105": "US", "106": "US", "107": "US"}
BOARD_MARKET = "90"

ALLOWED_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "s", "sub", "sup", "blockquote", "ul", "ol",
    "li", "h2", "h3", "h4", "figure", "figcaption", "img", "a", "table", "thead", "tbody",
    "tr", "th", "td", "hr", "pre", "code",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "loading"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
ALLOWED_CLASSES = {"p": {"caption", "note"}}
# Elements whose content is never story text: code, embedded documents and pictures, the
# values of form widgets. Every other element outside ALLOWED_TAGS is unwrapped and its text
# kept (<form>, <button>, <select>, <font>, <div> …), and void ones (<embed>, <source>, <input> …)
# go alone: libxml2 reads some of those as containers, and an unclosed <form> holds the rest.
DROP_WITH_CONTENT = frozenset({
    "script", "style", "template", "svg", "math", "iframe", "object", "applet", "noscript",
    "noembed", "noframes", "frame", "frameset", "head", "title", "textarea", "option",
    "optgroup", "datalist",
})
# ... of which these hold code, not words: dropping them is not worth a warning.
CODE = frozenset({"script", "style", "head"})
# ... and these hold markup, which libxml2 may not close where a browser does.
CONTAINERS = frozenset({"template", "svg", "math", "object", "applet"})

SOURCE_LINE = re.compile(r"^\s*[（(]\s*文章来源\s*[：:]\s*(?P<name>[^（()）]+?)\s*[）)]\s*$")
STOCK_CHART_BLOCK = re.compile(
    r"<!--\s*EM_StockImg_Start\s*-->.*?<!--\s*EM_StockImg_End\s*-->", re.S | re.I
)
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
CHART_IMAGE_HOSTS = ("webquoteklinepic.eastmoney.com", "webquotepic.eastmoney.com")
_IMG_SRC = re.compile(r"<img\b[^>]*?\bsrc=\"(https?://[^\"]+)\"", re.IGNORECASE)


def is_chart_image(src: str) -> bool:
    """Whether the image address `src` is one of eastmoney's stock charts (never a story's
    picture: the importer removes them)."""
    return any(host in src for host in CHART_IMAGE_HOSTS)


def first_image(body_html: str) -> str:
    """Return the address of the first picture of a story's body (its thumbnail, og:image and
    JSON-LD image): never a stock chart (a body stored before the importer removed them, or
    pasted by an editor, may still hold one)."""
    for match in _IMG_SRC.finditer(body_html or ""):
        url = match.group(1).replace("&amp;", "&")
        if not is_chart_image(url):
            return url
    return ""
CAPTION_MAX = 80
URL_ATTRIBUTES = {"href", "src"}
C0_AND_SPACE = "".join(map(chr, range(0x21)))
URL_NOISE = re.compile(r"[\t\n\r]")
EMPTY_DROPPED = {"p", "strong", "b", "em", "center", "div"}
NAME_PARTS = 20  # strings read for a stock's name, a source line or a caption: all are short


@dataclass(frozen=True)
class StockRef:
    market: str
    code: str
    name: str = ""
    # Read from the story's text rather than from a chart block: links only a stock the
    # directory knows, or one the text names with its exchange (09618.HK, NIO.US) and its name.
    in_text: bool = False
    suffixed: bool = False

    @property
    def symbol(self) -> str:
        return f"{self.market}{self.code}"


@dataclass(frozen=True)
class CleanBody:
    html: str
    text: str
    source_name: str | None
    stocks: tuple[StockRef, ...]
    boards: tuple[str, ...]
    warnings: tuple[str, ...] = ()  # text the story lost for a reason other than debris


def parse_data_code(value: str) -> tuple[str, str] | None:
    """Return (eastmoney market id, code) from a data-code value in any of its spellings."""
    value = value.strip()
    if value.upper().startswith("K "):
        value = value[2:].strip()
    if "|" in value:  # "002024|0|2": code|market|type
        parts = value.split("|")
        code, market = parts[0].strip(), parts[1].strip() if len(parts) > 1 else ""
    elif "," in value:  # "106,NIO": market,code
        market, code = (part.strip() for part in value.split(",", 1))
    elif "." in value:  # "0.002024" as in quote URLs
        market, code = (part.strip() for part in value.split(".", 1))
    else:
        return None
    if not market.isdigit() or not re.fullmatch(r"[A-Za-z0-9.\-]{1,16}", code):
        return None
    return market, code.upper()


def stock_for(market_id: str, code: str, name: str = "") -> StockRef | None:
    market = MARKETS.get(market_id)
    if market is None:
        return None
    if market in {"SZ", "SH"} and a_share_market(code) == "BJ":
        market = "BJ"  # Beijing Stock Exchange codes are quoted under market 0
    return StockRef(market=market, code=code, name=name)


def _chart_codes(fragment: str) -> list[tuple[str, str]]:
    return [
        found
        for value in re.findall(r'data-code="([^"]+)"', fragment)
        if (found := parse_data_code(value))
    ]


def _parse(raw: str, warnings: list[str]) -> HtmlElement | None:
    """Return the <body> (or the document when it has none) of `raw`, or None if empty."""
    try:
        document = _document(raw)
    except etree.ParserError:  # nothing but whitespace or comments
        return None
    if any(TOO_DEEP in error.message for error in _PARSER.error_log):
        # libxml2 stopped reading at its depth limit: read it again with the nesting capped.
        raw, _ = cap_nesting(raw)
        warnings.append(f"markup nested more than {NESTING_LIMIT} levels deep was flattened")
        document = _document(raw)
    body = document.body if document.find("body") is not None else None
    return body if body is not None else document


def _document(raw: str) -> HtmlElement:
    try:
        return lxml.html.document_fromstring(raw, parser=_PARSER)
    except ValueError:  # a str carrying an XML encoding declaration: let libxml2 decode bytes
        return lxml.html.document_fromstring(raw.encode("utf-8"), parser=_UTF8_PARSER)


# lxml keeps each parser's error log per thread, so module-level parsers are safe to share.
_PARSER = lxml.html.HTMLParser()
_UTF8_PARSER = lxml.html.HTMLParser(encoding="utf-8")
TOO_DEEP = "Excessive depth"


def _attached(node, root) -> bool:
    """Whether `node` is still in the tree under `root` (not dropped, unwrapped or replaced)."""
    while node is not None:
        if node is root:
            return True
        node = node.getparent()
    return False


def _classes(node) -> list[str]:
    return (node.get("class") or "").split()


def _text(node, *, strip: bool = False) -> str:
    """BeautifulSoup's get_text(): every string below `node`; stripped ones joined by ""."""
    if strip:
        return "".join(part.strip() for part in node.itertext())
    return "".join(node.itertext())


def _short_text(node, *, strip: bool = False) -> str | None:
    """The text below `node` if it is made of at most NAME_PARTS strings, else None: reading
    all the text below each of a hundred nested elements would read the story a hundred times."""
    parts = list(itertools.islice(node.itertext(), NAME_PARTS + 1))
    if len(parts) > NAME_PARTS:
        return None
    return "".join(part.strip() for part in parts) if strip else "".join(parts)


def _holding(root, *, images: bool) -> set:
    """Return the elements below `root` with non-blank text (or, with `images`, an <img>)
    below them: one pass, children before parents, whatever the depth."""
    found = set()
    for node in reversed(list(root.iterdescendants())):
        if (
            (images and node.tag == "img")
            or (node.text and not node.text.isspace())
            or any(child in found or (child.tail and not child.tail.isspace()) for child in node)
        ):
            found.add(node)
    return found


def clean_html(raw: str) -> CleanBody:
    """Return the story's sanitised HTML, text, source line, stocks and sector boards.

    lxml's tree (libxml2's HTML parser, the same one BeautifulSoup's "lxml" builder drives)
    does the surgery: building it costs a twentieth of a BeautifulSoup tree. Each phase
    below sees the elements still in the tree, in document order.
    """
    codes: list[tuple[str, str]] = []
    names: dict[tuple[str, str], str] = {}

    def take_chart(match: re.Match) -> str:
        codes.extend(_chart_codes(match.group(0)))
        return ""

    raw, lost = cut_elements(STOCK_CHART_BLOCK.sub(take_chart, raw), CONTAINERS)
    warnings: list[str] = []
    root = _parse(raw, warnings)
    if root is None:
        return CleanBody(html="", text="", source_name=None, stocks=(), boards=(), warnings=tuple(warnings))

    for node in list(root.iterdescendants()):
        if not _attached(node, root):
            continue  # inside something dropped earlier in this walk
        if not isinstance(node.tag, str):  # comments and processing instructions
            node.drop_tree()
        elif node.tag in DROP_WITH_CONTENT:
            if node.tag not in CODE and (words := len(_text(node, strip=True))):
                lost[node.tag] = lost.get(node.tag, 0) + words
            node.drop_tree()
        elif HIDDEN_STYLE.search(node.get("style") or "") or node.get("hidden") is not None:
            node.drop_tree()  # the scraper's hidden debris
    warnings.extend(f"dropped the text inside <{tag}> ({count:,} characters)" for tag, count in lost.items())
    tags = list(root.iterdescendants())

    # Stock-chart debris that arrived without its marker comments.
    for img in tags:
        if img.tag != "img" or not _attached(img, root):
            continue
        parent = img.getparent()
        src = img.get("src") or ""
        if is_chart_image(src) or "EmImageRemark" in _classes(parent):
            for value in (img.get("data-code"), parent.get("data-code")):
                if value and (found := parse_data_code(value)):
                    codes.append(found)
            holder = parent if parent.tag == "a" else img
            holder.drop_tree()

    # The source line goes first: a keyword link inside it (（文章来源：<a data-code=…>证券</a>时报）)
    # names the publisher, not a subject of the story, so it gives no tag and no stock.
    source_name = None
    for tag in tags:
        if tag.tag not in {"p", "div", "span"} or not _attached(tag, root):
            continue
        match = SOURCE_LINE.match(_short_text(tag) or "")
        if match:
            source_name = source_name or re.sub(r"\s+", "", match.group("name"))
            tag.drop_tree()

    # Quote and keyword links: keep the words, drop the link; record stocks and boards.
    for tag in tags:
        if tag.get("data-code") is None or not _attached(tag, root):
            continue
        found = parse_data_code(tag.get("data-code"))
        if found:
            codes.append(found)
            text = _short_text(tag, strip=True)
            if text:
                names.setdefault(found, text)
    for tag in tags:
        if tag.tag not in {"a", "span"} or not _attached(tag, root):
            continue
        tag_id = tag.get("id") or ""
        if tag_id.startswith(("quote_", "bkquote_")) and _short_text(tag, strip=True) == "":
            tag.drop_tree()
        elif (
            set(_classes(tag)) & {"keytip", "infokey", "em_stock_key_common"}
            or tag_id.startswith(("stock_", "bk_", "Info."))
            or tag.tag == "span"
        ):
            tag.drop_tag()


    images, unplaced = [], 0
    for img in (tag for tag in tags if tag.tag == "img" and _attached(tag, root)):
        url = _picture_url(img)
        if url:
            img.set("src", url)
            images.append(img)
        else:  # an address on the scraped site, or none: a reader would see a broken picture
            img.drop_tree()
            unplaced += 1
    if unplaced:
        warnings.append(f"left out {unplaced} picture(s) without a web address (relative or inline)")
    if images:
        _images_to_figures(root, images, worded=_holding(root, images=False))

    for br in tags:
        # A <br> closing a paragraph only adds an empty line.
        if br.tag == "br" and br.getnext() is None and not (br.tail or "").strip() and _attached(br, root):
            br.drop_tree()
    filled = _holding(root, images=True)
    for tag in list(root.iterdescendants(*EMPTY_DROPPED)):
        if tag not in filled:
            tag.drop_tree()

    # The tree holds nothing but the story now; its text is what the sanitised HTML shows.
    text = " ".join(part for part in (s.strip() for s in root.itertext()) if part)
    for node in root.iter():
        for name in URL_ATTRIBUTES.intersection(node.attrib):
            # What a browser does before reading the scheme (WHATWG URL parsing), so that nh3
            # judges the scheme the browser would see; libxml2 would otherwise %-escape
            # "\x0e javascript:" into a harmless-looking relative URL.
            node.set(name, URL_NOISE.sub("", node.get(name).strip(C0_AND_SPACE)))
        if len(node.attrib) > 1:  # canonical attribute order, as BeautifulSoup wrote it
            items = sorted(node.attrib.items())
            node.attrib.clear()
            node.attrib.update(items)
    inner = html.escape(root.text or "", quote=False) + "".join(
        etree.tostring(child, encoding="unicode", method="html") for child in root
    )
    body = sanitise(inner)

    # One ref a stock, named if any chart names it: eastmoney's three US exchanges (105, 106,
    # 107) are one market here, so two charts can name one stock, one of them without a name.
    stocks: dict[tuple[str, str], StockRef] = {}
    boards: list[str] = []
    seen: set[tuple[str, str]] = set()
    for market_id, code in codes:
        key = (market_id, code)
        if key in seen:
            continue
        seen.add(key)
        if market_id == BOARD_MARKET:
            if names.get(key):
                boards.append(names[key])
            continue
        ref = stock_for(market_id, code, names.get(key, ""))
        kept = stocks.get((ref.market, ref.code)) if ref else None
        if ref and (kept is None or (ref.name and not kept.name)):
            stocks[ref.market, ref.code] = ref
    return CleanBody(
        html=body, text=text, source_name=source_name, stocks=tuple(stocks.values()), boards=tuple(boards),
        warnings=tuple(warnings),
    )


def _picture_url(img: HtmlElement) -> str | None:
    """The web address of a picture (the scraper's lazy-load attribute when src is empty),
    or None: a relative address points into the scraped site, a data: URL is no address."""
    url = (img.get("src") or img.get("orginial_src") or img.get("original_src") or "").strip()
    if url.startswith("//"):
        url = "https:" + url
    return url if url.lower().startswith(("http://", "https://")) else None


def _images_to_figures(root: HtmlElement, images: list[HtmlElement], *, worded: set) -> None:
    """Turn centred images into <figure>s; a short centred line right after is the caption."""
    for img in images:
        if not _attached(img, root):
            continue
        container = img
        while (parent := container.getparent()) is not None and parent is not root and (
            parent.tag in {"center", "p", "div", "a"} and parent not in worded
        ):
            container = parent
        figure = lxml.html.Element("figure")
        new_img = etree.SubElement(figure, "img", loading="lazy")
        for attr in ("src", "alt", "width", "height"):
            if img.get(attr):
                new_img.set(attr, img.get(attr))
        if new_img.get("alt") in {"Image", "image", "图片"}:
            new_img.set("alt", "")
        caption_node = container.getnext()
        if caption_node is not None and caption_node.tag == "p":
            caption = _short_text(caption_node, strip=True)
            style = caption_node.get("style") or ""
            if caption and len(caption) <= CAPTION_MAX and "center" in style:
                etree.SubElement(figure, "figcaption").text = caption
                if not new_img.get("alt"):
                    new_img.set("alt", caption)
                caption_node.drop_tree()
        if not new_img.get("alt"):
            new_img.set("alt", "")
        figure.tail, container.tail = container.tail, None
        container.getparent().replace(container, figure)


def sanitise(fragment: str) -> str:
    """Return `fragment` reduced to the allow-listed tags, attributes and URL schemes.

    Every body is stored as this leaves it, whoever wrote it (the import, an editor, code):
    Article.body's field calls it. sanitise(sanitise(x)) == sanitise(x), so saving a body
    unchanged changes nothing.
    """
    fragment, _ = cap_nesting(fragment)  # html5ever's time grows with the square of the depth
    cleaned = nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROP_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    # html5ever escapes '>' in text; it is harmless there and in quoted attributes, and
    # keeping it literal keeps stored text such as "1+1>2" searchable as written.
    return cleaned.replace("&gt;", ">").strip()


def text_paragraphs_to_html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs if p.strip())
