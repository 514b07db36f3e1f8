"""HTML surgery for scraped bodies: remove the scraper's debris, keep the story, sanitise.

Site-specific work (eastmoney stock charts, quote links, source lines) is done with
BeautifulSoup; the final allow-listing is done by nh3 (ammonia), a maintained sanitiser.
"""

import html
import re
from dataclasses import dataclass

import nh3
from bs4 import BeautifulSoup, Comment, NavigableString, Tag

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
DROP_WITH_CONTENT = {
    "script", "style", "iframe", "svg", "math", "noscript", "template", "object", "embed",
    "frame", "frameset", "applet", "head", "title", "textarea", "select", "button", "form",
}

SOURCE_LINE = re.compile(r"^\s*[（(]\s*文章来源\s*[：:]\s*(?P<name>[^（()）]+?)\s*[）)]\s*$")
STOCK_CHART_BLOCK = re.compile(
    r"<!--\s*EM_StockImg_Start\s*-->.*?<!--\s*EM_StockImg_End\s*-->", re.S | re.I
)
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
CHART_IMAGE_HOSTS = ("webquoteklinepic.eastmoney.com", "webquotepic.eastmoney.com")
CAPTION_MAX = 80
EMPTY_DROPPED = {"p", "strong", "b", "em", "center", "div"}


@dataclass(frozen=True)
class StockRef:
    market: str
    code: str
    name: str = ""

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
    if market == "SZ" and code[:1] in {"4", "8"} or code.startswith("92"):
        market = "BJ"  # Beijing Stock Exchange codes are quoted under market 0
    return StockRef(market=market, code=code, name=name)


def _chart_codes(fragment: str) -> list[tuple[str, str]]:
    return [
        found
        for value in re.findall(r'data-code="([^"]+)"', fragment)
        if (found := parse_data_code(value))
    ]


def _gone(node) -> bool:
    """`node.decomposed`, minus the cost: on a live Tag that property falls through to
    Tag.__getattr__, which runs find("_decomposed") over the whole subtree."""
    return node.__dict__.get("_decomposed", False)


def clean_html(raw: str) -> CleanBody:
    """Return the story's sanitised HTML, text, source line, stocks and sector boards."""
    codes: list[tuple[str, str]] = []
    names: dict[tuple[str, str], str] = {}

    def take_chart(match: re.Match) -> str:
        codes.extend(_chart_codes(match.group(0)))
        return ""

    raw = STOCK_CHART_BLOCK.sub(take_chart, raw)
    soup = BeautifulSoup(raw, "lxml")
    root = soup.body or soup

    # One walk over the tree instead of a find_all() per rule: bs4's matching machinery costs
    # more than the parse itself. Each loop below sees the tags in document order, exactly as
    # the find_all() it replaces would at that point (removed tags are marked decomposed).
    for node in list(root.descendants):
        if _gone(node):
            continue  # inside a tag removed earlier in this walk
        if isinstance(node, Comment):
            node.extract()
        elif isinstance(node, Tag) and (
            node.name in DROP_WITH_CONTENT
            or HIDDEN_STYLE.search(node.get("style") or "")
            or node.has_attr("hidden")
        ):
            node.decompose()
    tags = [node for node in root.descendants if isinstance(node, Tag)]

    # Stock-chart debris that arrived without its marker comments.
    for img in tags:
        if img.name != "img" or _gone(img):
            continue
        src = img.get("src") or ""
        if any(host in src for host in CHART_IMAGE_HOSTS) or "EmImageRemark" in (
            img.parent.get("class") or [] if isinstance(img.parent, Tag) else []
        ):
            for value in (img.get("data-code"), img.parent.get("data-code")):
                if value and (found := parse_data_code(value)):
                    codes.append(found)
            holder = img.parent if img.parent.name == "a" else img
            holder.decompose()

    # Quote and keyword links: keep the words, drop the link; record stocks and boards.
    for tag in tags:
        if _gone(tag) or not tag.has_attr("data-code"):
            continue
        found = parse_data_code(tag["data-code"])
        if found:
            codes.append(found)
            text = tag.get_text(strip=True)
            if text:
                names.setdefault(found, text)
    for tag in tags:
        if tag.name not in {"a", "span"} or _gone(tag):
            continue
        classes = set(tag.get("class") or [])
        tag_id = tag.get("id") or ""
        if tag_id.startswith(("quote_", "bkquote_")) and not tag.get_text(strip=True):
            tag.decompose()
        elif (
            classes & {"keytip", "infokey", "em_stock_key_common"}
            or tag_id.startswith(("stock_", "bk_", "Info."))
            or tag.name == "span"
        ):
            tag.unwrap()

    # Every <span> is gone now (unwrapped above), so the source line sits in a <p> or <div>.
    source_name = None
    for tag in tags:
        if tag.name not in {"p", "div"} or _gone(tag):
            continue
        match = SOURCE_LINE.match(tag.get_text())
        if match:
            source_name = source_name or re.sub(r"\s+", "", match.group("name"))
            tag.decompose()

    _images_to_figures(soup, root)

    # Tags _images_to_figures() detached stay in `tags`; removing them again changes nothing.
    for br in tags:
        # A <br> closing a paragraph only adds an empty line.
        if br.name != "br" or _gone(br):
            continue
        if br.next_sibling is None or (
            isinstance(br.next_sibling, NavigableString) and not br.next_sibling.strip()
            and br.next_sibling.next_sibling is None
        ):
            br.decompose()
    for tag in tags:
        if tag.name in EMPTY_DROPPED and not _gone(tag) and not tag.get_text(strip=True) and not tag.find("img"):
            tag.decompose()

    # The tree holds nothing but the story now; its text is what the sanitised HTML shows.
    text = root.get_text(" ", strip=True)
    body = sanitise(root.decode_contents())

    stocks: list[StockRef] = []
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
        if ref:
            stocks.append(ref)
    return CleanBody(
        html=body, text=text, source_name=source_name, stocks=tuple(stocks), boards=tuple(boards)
    )


def _images_to_figures(soup: BeautifulSoup, root: Tag) -> None:
    """Turn centred images into <figure>s; a short centred line right after is the caption."""
    for img in root.find_all("img"):
        if _gone(img):
            continue
        original = img.get("orginial_src") or img.get("original_src")
        if not img.get("src") and original:
            img["src"] = original
        container = img
        while container.parent is not None and container.parent is not root and (
            container.parent.name in {"center", "p", "div", "a"}
            and len(container.parent.get_text(strip=True)) == 0
        ):
            container = container.parent
        figure = soup.new_tag("figure")
        new_img = soup.new_tag("img", attrs={"loading": "lazy"})
        for attr in ("src", "alt", "width", "height"):
            if img.get(attr):
                new_img[attr] = img[attr]
        if new_img.get("alt") in {"Image", "image", "图片"}:
            new_img["alt"] = ""
        figure.append(new_img)
        caption_node = container.find_next_sibling()
        if isinstance(caption_node, Tag) and caption_node.name == "p":
            caption = caption_node.get_text(strip=True)
            style = caption_node.get("style") or ""
            if caption and len(caption) <= CAPTION_MAX and "center" in style:
                figcaption = soup.new_tag("figcaption")
                figcaption.string = caption
                figure.append(figcaption)
                if not new_img.get("alt"):
                    new_img["alt"] = caption
                caption_node.decompose()
        if not new_img.get("alt"):
            new_img["alt"] = ""
        container.replace_with(figure)


def sanitise(fragment: str) -> str:
    """Return `fragment` reduced to the allow-listed tags, attributes and URL schemes."""
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
