"""A realistic synthetic corpus for benchmarks and crash tests, built from the real samples.

Every generated file is one of the real files with its identity varied: story id, date,
publisher, stocks and a unique opening sentence, so fingerprints and ids never collide; and
its passages of words replaced by passages of about their length from any of the real files,
its digits permuted, so that, as in a real feed, two files are different stories (told in the
real files' words) unless one reprints the other.
One Jekyll file in REPRINTED reprints a recent one under another publisher and id, as
publishers do (the same-story clustering's share of the work, articles/clusters).
"""

import functools
import os
import random
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from articles import identity

FIXTURES = Path(__file__).resolve().parent.parent.parent / "tests" / "fixtures"
PUBLISHERS = [
    ("zhongguojingjiwang", "中国经济网"),
    ("shanghaizhengquanbao·zhongguozhengquanwang", "上海证券报·中国证券网"),
    ("zhongguozhengquanbao·zhongzhengwang", "中国证券报·中证网"),
    ("cailianshe", "财联社"),
    ("meirijingjixinwen", "每日经济新闻"),
    ("dongfangcaifuyanjiuzhongxin", "东方财富研究中心"),
    ("yangxingwangzhan", "央行网站"),
]
STOCKS = [("002024", "0"), ("600690", "1"), ("00493", "116"), ("09618", "116"), ("000333", "0"),
          ("600519", "1"), ("300750", "0"), ("00700", "116"), ("NIO", "106"), ("601318", "1")]
OPENERS = ["据悉", "记者获悉", "消息显示", "业内人士表示", "公告显示", "数据显示"]
BEIJING = ZoneInfo("Asia/Shanghai")
REPRINTED = 10  # one Jekyll file in this many reprints a recent one
PASSAGE = 12  # characters: shorter runs of words (a stock's name in a link) are kept
PARAGRAPH = "　　"  # the page dumps' paragraph mark
TAG = re.compile(r"(<[^>]*>)")


def remix(text: str, rng: random.Random) -> str:
    """`text` with each passage of words (outside HTML tags, between the page dumps' paragraph
    marks) replaced by a passage of about its length from any of the real files, and its digits
    permuted: the same markup and the real corpus's words, another story with other figures."""
    table = str.maketrans(dict(zip("0123456789", rng.sample("0123456789", 10), strict=True)))
    parts = []
    for part in TAG.split(text):
        if not part.startswith("<"):
            part = PARAGRAPH.join(_other_passage(piece, rng) for piece in part.split(PARAGRAPH))
        parts.append(part.translate(table))
    return "".join(parts)


def _other_passage(passage: str, rng: random.Random) -> str:
    if len(passage.strip()) < PASSAGE:
        return passage
    choices = _passages().get(len(passage) // PASSAGE)
    return rng.choice(choices) if choices else passage


@functools.cache
def _passages() -> dict[int, list[str]]:
    """The real files' passages of words, by length (PASSAGE characters a step)."""
    jekyll, text = _templates()
    found: dict[int, list[str]] = {}
    for template in jekyll + text:
        for part in TAG.split(template[template.find("\n---", 3) + 4:] if template.startswith("---") else template):
            for piece in ("" if part.startswith("<") else part).split(PARAGRAPH):
                if len(piece.strip()) >= PASSAGE and "\n---" not in piece:
                    found.setdefault(len(piece) // PASSAGE, []).append(piece)
    return found


def _templates() -> tuple[list[str], list[str]]:
    jekyll, text = [], []
    for path in sorted((FIXTURES / "seeds").iterdir()):
        (text if path.name[:3] in {"001", "003"} else jekyll).append(path.read_text("utf-8"))
    for path in sorted((FIXTURES / "finews").glob("*.md")):
        content = path.read_text("utf-8")
        if 'title: ""' not in content:
            jekyll.append(content)
    return jekyll, text


def _chart(code: str, market: str) -> str:
    return (
        '<p style="display:none;height:1px;overflow:hidden;"><br /></p><!-- EM_StockImg_Start -->'
        f'<p style="text-align:center;"><a href="http://quote.eastmoney.com/unify/r/{market}.{code}" '
        f'data-code="{code}|{market}|2" class="EmImageRemark" target="_blank"><img src="https://'
        f'webquoteklinepic.eastmoney.com/GetPic.aspx?nid={market}.{code}&imageType=k" alt="K图 {code}_0" '
        f'data-code="K {code}|{market}|2" width="578" height="276" /></a></p><!-- EM_StockImg_End -->'
    )


def make_jekyll(template: str, *, i: int, rng: random.Random, when: datetime) -> str:
    key, name = rng.choice(PUBLISHERS)
    code = f"{identity.PREFIX}{when:%Y%m%d}{i:010d}"
    fm_end = template.index("\n---", 3)
    body = template[fm_end + 4:].lstrip("\n")
    title = re.search(r'^title: "(.*)"$', template, re.M).group(1)
    body = re.sub(r"<!-- EM_StockImg_Start -->.*?<!-- EM_StockImg_End -->", "", body, flags=re.S)
    body = re.sub(r"<http[^>]+>", "", body)
    body = re.sub(r"\[返回[^\n]*", "", body)
    body = re.sub(r"（文章来源：[^）]*）", "", body)
    charts = "".join(_chart(*rng.choice(STOCKS)) for _ in range(rng.randint(0, 2)))
    opener = f"<p>{rng.choice(OPENERS)}，第{i}号稿件于{when:%m月%d日}发布。</p>"
    body = opener + remix(body.strip(), rng)
    return _jekyll(title=f"{title}（{i}）", when=when, key=key, name=name, body=charts + body, code=code)


def reprint(original: str, *, i: int, rng: random.Random, when: datetime) -> str:
    """Another publisher's reprint of the generated story `original`: its own headline, id and
    source line, an intro sentence before the same words."""
    key, name = rng.choice(PUBLISHERS)
    code = f"{identity.PREFIX}{when:%Y%m%d}{i:010d}"
    title = re.search(r'^title: "(.*)"$', original, re.M).group(1)
    body = original[original.index("\n---", 3) + 4:].lstrip("\n")
    body = body[:body.index('<p class="em_media">')]
    return _jekyll(title=f"{title}（转载{i}）", when=when, key=key, name=name, code=code,
                   body=f"<p>{name}讯，转载自其他媒体：</p>{body}")


def _jekyll(*, title: str, when: datetime, key: str, name: str, body: str, code: str) -> str:
    return (
        f'---\nlayout: post\ntitle: "{title}"\ndate: {when:%Y-%m-%d %H:%M:%S} +0800\n'
        f"categories: {key}\ntags: {name}新闻\n---\n{body}"
        f'<p class="em_media">（文章来源：{name}）</p>\n\n'
        f"<http://finews.zning.xyz/html_News/NewsShare.html?infoCode={code}>\n\n"
        f"[返回{name}新闻](//finews.withounder.com/category/{key}.html)｜[返回首页](//finews.withounder.com/)\n"
    )


def make_text(template: str, *, i: int, rng: random.Random, when: datetime) -> str:
    opener = f"　　{when:%m月%d日}，{rng.choice(OPENERS)}，第{i}号稿件发布。"
    # The host site's footer, glued to the last paragraph, is kept as it is: the parser knows it.
    cut = int(len(template) * 0.85)
    return opener + remix(template[:cut], rng) + template[cut:]


def generate_corpus(directory: Path, count: int, *, seed: int = 1, per_dir: int = 1000,
                    first_number: int = 0, start: datetime | None = None) -> Path:
    """Write `count` news files (both formats) under `directory`; return the directory.

    Stories are numbered from `first_number`: corpora numbered apart share no story. They are
    dated from `start` (Beijing time, default 2022-01-01 08:00) about seven minutes apart."""
    rng = random.Random(seed)
    jekyll, text = _templates()
    start = start or datetime(2022, 1, 1, 8, 0, 0)
    directory.mkdir(parents=True, exist_ok=True)
    recent: list[str] = []
    for i in range(count):
        when = start + timedelta(minutes=7 * i + rng.randint(0, 6))
        sub = directory / f"{i // per_dir:04d}"
        if i % per_dir == 0:
            sub.mkdir(exist_ok=True)
        if i % 10 == 9:  # one in ten is a plain-text page dump
            content = make_text(rng.choice(text), i=first_number + i, rng=rng, when=when)
            name = f"{first_number + i:07d}_{rng.getrandbits(64):016x}.txt"
        else:
            if recent and i % REPRINTED == 4:
                content = reprint(rng.choice(recent), i=first_number + i, rng=rng, when=when)
            else:
                content = make_jekyll(rng.choice(jekyll), i=first_number + i, rng=rng, when=when)
                recent = [*recent[-19:], content]
            name = f"{when:%Y-%m-%d}-{identity.PREFIX}{when:%Y%m%d}{first_number + i:010d}.md"
        (sub / name).write_text(content, "utf-8")
        # Dropped when it was fetched, as a scraper does: a page dump that gives no year is
        # dated by its file (all of them on the day of the benchmark, otherwise).
        moment = when.replace(tzinfo=BEIJING).timestamp()
        os.utime(sub / name, (moment, moment))
    return directory
