"""Story files for the same-story tests, made from a real seed story the way publishers
reprint it (another headline and source line, an intro sentence, a trimmed paragraph) and the
way templated reports differ (the same words, other figures)."""

from pathlib import Path

from articles.ingest.parsing import parse_file
from tests.site_support import SEEDS

ORIGINAL = SEEDS / "000_ce3d7ca2cd05df07.txt"  # 苏宁易购 and 海尔, 中国经济网, 2022-02-21 09:33


def paragraphs() -> list[str]:
    """The seed story's paragraphs, as the importer reads them."""
    return parse_file(ORIGINAL).text.split()  # paragraphs are joined by a space


def story_file(folder: Path, name: str, *, title: str, date: str, publisher: str, key: str,
               body: list[str], story_id: str) -> Path:
    """A Jekyll post as a scraper writes it, with its publisher's source line and share link."""
    html = "".join(f"<p>{text}</p>" for text in body)
    path = folder / name
    path.write_text(
        f'---\nlayout: post\ntitle: "{title}"\ndate: {date} +0800\ncategories: {key}\n'
        f"tags: {publisher}新闻\n---\n{html}<p class=\"em_media\">（文章来源：{publisher}）</p>\n\n"
        f"<http://finance.eastmoney.com/news/1350,{story_id}.html>\n", encoding="utf-8")
    return path


def reprint(folder: Path, name: str = "reprint.md", *, story_id: str = "202202222222222222",
            date: str = "2022-02-21 15:10:00") -> Path:
    """Another publisher's rewrite of the seed story: a new headline, an intro sentence, the
    last paragraph left out."""
    body = paragraphs()
    return story_file(folder, name, title="苏宁易购与海尔集团签署战略合作 共推场景零售", date=date,
                      publisher="中证网", key="zhongzhengwang",
                      body=["中证网讯（记者 王勇）2月21日，记者从苏宁易购获悉：", *body[:-1]],
                      story_id=story_id)


def next_days_edition(folder: Path, name: str = "template.md") -> Path:
    """The same words a day later with other figures: another story."""
    swapped = str.maketrans("0123456789", "3456789012")
    body = [text.translate(swapped) for text in paragraphs()]
    return story_file(folder, name, title="苏宁易购海尔召开战略对接会（次日）", date="2022-02-22 09:30:00",
                      publisher="中国经济网", key="zhongguojingjiwang", body=body,
                      story_id="202202233333333333")
