"""ParsedArticle -> Article: the upsert, keyed on the story's identity, safe for editors' work."""

import os
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from articles import changes, identity, revisions, tracked
from articles.categorize import Sections, rules_of
from articles.clusters import placing
from articles.clusters.likeness import company_keys
from articles.ingest import bulk
from articles.ingest.parsing import ParsedArticle
from articles.models import (
    Article,
    ArticleTag,
    Category,
    ImportFileResult,
    Source,
    SourceKey,
    Stock,
    TaggedArticle,
    Tombstone,
)
from articles.stocks import NameFinder, directory_names, stock_search_keys
from articles.text import ascii_slug, story_slug

Outcome = ImportFileResult.Outcome


@dataclass
class StoreResult:
    outcome: str
    article: Article | None = None
    message: str = ""
    pending: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NewStatus:
    """The status of a run's new stories: the one asked for, except that a story whose title or
    date had to be guessed is not published on a guess. It waits in review for an editor to
    check it, unless the run was told to trust the guesses (import_articles --trust-inferred)."""

    wanted: str
    trust_inferred: bool = False

    def of(self, inferred) -> str:
        if inferred and self.wanted == Article.Status.PUBLISHED and not self.trust_inferred:
            return Article.Status.REVIEW
        return self.wanted


class Lookups:
    """Per-run caches of rows many files share (sources, stocks, tags, categories)."""

    def __init__(self) -> None:
        self.reset()
        # A row stories already show was changed (a stock's name): set for the whole run, as a
        # rollback after the change does not undo an earlier batch's.
        self.changed_shared = False

    def reset(self) -> None:
        """Forget every cached row (after a rollback they may no longer exist)."""
        self.sources: dict[tuple[str | None, str | None], Source | None] = {}
        self.stocks: dict[tuple[str, str], Stock | None] = {}  # None: no such stock
        self.tags: dict[str, ArticleTag] = {}
        self._categories: list[Category] | None = None
        self._rules: Sections | None = None
        self._names: NameFinder | None = None
        self._stock_keys: set[tuple[str, str]] | None = None
        # The likenesses of the days around the run's stories (same-story clusters).
        self.stories = placing.Index()

    @property
    def categories(self) -> list[Category]:
        if self._categories is None:
            self._categories = list(Category.objects.order_by("order", "name"))
        return self._categories

    @property
    def stock_keys(self) -> set[tuple[str, str]]:
        """(market, code) of every stock there is, read once per run."""
        if self._stock_keys is None:
            self._stock_keys = set(Stock.objects.values_list("market", "code"))
        return self._stock_keys

    @property
    def names(self) -> NameFinder:
        """The directory's company names and former names, for the parses to find in texts."""
        if self._names is None:
            self._names = NameFinder(directory_names(
                Stock.objects.values_list("pk", "name", "former_names", "aliases")))
        return self._names

    @property
    def rules(self) -> Sections:
        if self._rules is None:
            self._rules = rules_of(self.categories)
        return self._rules

    def category_id(self, parsed: ParsedArticle) -> int | None:
        """The section of a new story: the parse worker's pick (it had the text), or the rules'
        pick here when the story was parsed elsewhere or its pick is no longer a section."""
        if parsed.category_id in self.rules.ids:
            return parsed.category_id
        return self.rules.choose(title=parsed.title, text=parsed.text or parsed.summary)

    def source(self, parsed: ParsedArticle) -> Source | None:
        cache_key = (parsed.source_name, parsed.feed_name, parsed.source_key)
        if cache_key not in self.sources:
            self.sources[cache_key] = _resolve_source(
                name=parsed.source_name, feed_name=parsed.feed_name, key=parsed.source_key
            )
        return self.sources[cache_key]

    def load_stocks(self, refs) -> None:
        """Have the stocks of a batch's `refs` at hand for stock_rows(): those stored read in
        one query, and those a story makes known (see stock_rows) created in one statement.
        Created this way, no stock announces itself to the page cache one by one: the run
        does once, at its end, for everything it added."""
        keys = {(ref.market, ref.code) for ref in refs} - self.stocks.keys()
        if not keys:
            return
        stored = {(stock.market, stock.code): stock
                  for stock in Stock.objects.filter(code__in={code for _, code in keys})}
        named: dict[tuple[str, str], str] = {}
        for ref in refs:
            key = (ref.market, ref.code)
            if key in keys and key not in stored and _makes_known(ref):
                named[key] = named.get(key) or ref.name
        if named:
            new = [Stock(market=market, code=code, name=name, name_source=Stock.NameSource.LEARNED)
                   for (market, code), name in named.items()]
            for stock in new:
                stock.search_keys = stock_search_keys(stock)
            Stock.objects.bulk_create(new, ignore_conflicts=True)  # an editor may have just added one
            stored.update({(stock.market, stock.code): stock for stock in Stock.objects.filter(
                code__in={code for _, code in named}) if (stock.market, stock.code) in named})
        for key in keys:
            self.stocks[key] = stored.get(key)

    def stock_rows(self, refs) -> list[Stock]:
        """The stocks `refs` name, found or created. A chart block's stock is created if the
        directory lacks it; a code read in the text only when the text names the company and
        its exchange (小米集团-W（01810.HK）): a bare (42003) in a title is no stock."""
        rows = []
        for ref in refs:
            key = (ref.market, ref.code)
            stock = self.stocks.get(key)
            if stock is None:
                if key not in self.stock_keys and not _makes_known(ref):
                    continue  # a number in brackets, not a stock the directory knows: no query
                if key not in self.stocks:
                    stock = Stock.objects.filter(market=ref.market, code=ref.code).first()
                if stock is None and _makes_known(ref):
                    # Not in the directory: known from this story (its name for editors to confirm).
                    stock, _ = Stock.objects.get_or_create(
                        market=ref.market, code=ref.code,
                        defaults={"name": ref.name, "name_source": Stock.NameSource.LEARNED},
                    )
                self.stocks[key] = stock
            if stock is None:
                continue
            if ref.name and not stock.name:
                stock.name, stock.name_source = ref.name, Stock.NameSource.LEARNED
                keys = stock_search_keys(stock)
                self.changed_shared |= bool(Stock.objects.filter(pk=stock.pk, name="").update(
                    name=ref.name, name_source=Stock.NameSource.LEARNED, search_keys=keys))
            rows.append(stock)
        return rows

    def tag_rows(self, names) -> list[ArticleTag]:
        rows = []
        for name in names:
            tag = self.tags.get(name)
            if tag is None:
                tag = ArticleTag.objects.filter(name=name).first()
                if tag is None:
                    tag = ArticleTag(name=name)
                    tag.save()
                self.tags[name] = tag
            rows.append(tag)
        return rows


def _makes_known(ref) -> bool:
    """Whether a ref names a stock the directory may lack, to be created from the story: a
    chart block's, or a code the text writes with its exchange and the company's name
    (小米集团-W（01810.HK）); a bare number in brackets is no stock."""
    return not ref.in_text or bool(ref.suffixed and ref.name)


def _resolve_source(*, name: str | None, feed_name: str | None, key: str | None) -> Source | None:
    """The story's own source line wins; else the feed key an editor may have remapped; else
    the feed's label. A key names a publisher only when its label agrees with the story's
    source (中国经济网新闻 -> 中国经济网); rolling feeds such as emnews carry many publishers."""
    if not name and key:
        known = SourceKey.objects.select_related("source").filter(key=key).first()
        if known:
            return known.source
    name = name or feed_name or key
    if not name:
        return None
    source = _source_named(name[:100])
    if key and (feed_name is None or feed_name == name):
        SourceKey.objects.get_or_create(key=key, defaults={"source": source})
    return source


def _source_named(name: str) -> Source:
    """The source called `name`, or the one an editor merged it into (the merge keeps the old
    name as a key of the target), or a new one."""
    source = Source.objects.filter(name=name).first()
    if source is None:
        alias = SourceKey.objects.select_related("source").filter(key=name).first()
        if alias:
            return alias.source

        slug = base = ascii_slug(name, fallback="source")[:90]
        suffix = 2
        while Source.objects.filter(slug=slug).exists():
            slug = f"{base}-{suffix}"
            suffix += 1
        source = Source.objects.create(name=name, slug=slug)
    return source


def source_values(parsed: ParsedArticle, *, source, tags, stocks, published_at) -> dict:
    """What the source file gives each imported field (articles.tracked), as Python values."""
    return {
        "title": parsed.title, "summary": parsed.summary, "body": parsed.body,
        "published_at": published_at, "source": source, "tags": tags, "stocks": stocks,
        "original_url": parsed.original_url,
    }


def find_existing(parsed: ParsedArticle) -> tuple[Article | None, str]:
    """Return (the article this file is a version of, the key that matched)."""
    if parsed.external_id:
        found = Article.objects.filter(external_id__in=identity.spellings(parsed.external_id)).first()
        if found:
            return found, "external_id"
    if parsed.original_url:
        found = Article.objects.filter(original_url=parsed.original_url).first()
        if found:
            return found, "original_url"
    found = Article.objects.filter(fingerprint=parsed.fingerprint).first()
    if found and parsed.external_id and found.external_id:
        return None, ""  # same words, but the publisher numbers them as two stories
    return (found, "fingerprint") if found else (None, "")


def store(
    parsed: ParsedArticle, *, path: str, run_id: int | None, status: NewStatus, lookups: Lookups,
    mtime_ns: int | None = None,
) -> StoreResult:
    """Create or update the article for `parsed`; return what happened. Caller owns the transaction."""
    if Tombstone.objects.filter(key__in=keys_of(parsed)).exists():
        return StoreResult(Outcome.SUPPRESSED, message="deleted by an editor; not re-imported")

    existing, matched_on = find_existing(parsed)
    source = lookups.source(parsed)
    stocks = lookups.stock_rows(parsed.stocks)
    tags = lookups.tag_rows(parsed.tags)
    given = source_values(parsed, source=source, tags=tags, stocks=stocks,
                          published_at=parsed.published_at)
    now = timezone.now()

    if existing is None:
        article = new_article(parsed, path=path, run_id=run_id, status=status, source=source,
                              lookups=lookups, now=now, legacy_path=_free_legacy_path(parsed.legacy_path))
        article.fingerprint = _free_fingerprint(parsed.fingerprint, None)
        article.save()
        if stocks:
            article.stocks.add(*stocks)
        if tags:
            article.tags.add(*tags)
        if settings.NEWSROOM_SAME_STORY:
            placing.place([new_story(article, parsed, lookups)], lookups.stories)
        return StoreResult(Outcome.CREATED, article, notes_of(parsed))

    if matched_on == "fingerprint" and existing.source_file != path and (
        existing.content_hash != parsed.content_hash
    ):
        return StoreResult(
            Outcome.DUPLICATE, existing, f"same text as article #{existing.pk}; kept once"
        )
    if existing.content_hash == parsed.content_hash:
        return StoreResult(Outcome.UNCHANGED, existing)
    if existing.source_file != path and mtime_ns is not None and _newer_source_on_file(
        existing.source_file, than=(mtime_ns, path)
    ):
        return StoreResult(Outcome.UNCHANGED, existing, "an older copy of a newer file")
    if existing.status == Article.Status.REJECTED:
        return StoreResult(Outcome.SUPPRESSED, existing, "rejected by an editor; not updated")
    if existing.status == Article.Status.TRASHED:
        return StoreResult(Outcome.SUPPRESSED, existing, "in the trash; not updated")
    return _update(existing, parsed, given, path=path, run_id=run_id, now=now)


def notes_of(parsed: ParsedArticle) -> str:
    """What the ledger says of a stored file: what the parser had to repair or leave out, a
    line each (articles.admin.reasons retells each line in Chinese)."""
    return "\n".join(parsed.warnings)


def new_article(parsed, *, path, run_id, status: NewStatus, source, lookups, now, legacy_path) -> Article:
    """Return an unsaved Article for a story seen for the first time."""
    published_at = parsed.published_at or now
    inferred = set(parsed.inferred) | ({"published_at"} if not parsed.published_at else set())
    article = Article(
        title=parsed.title[:300],
        slug=parsed.slug or story_slug(parsed.external_id, parsed.title),
        summary=parsed.summary,
        body=parsed.body,
        image=Article.thumbnail_of(parsed.body),
        published_at=published_at,
        status=status.of(inferred),
        source=source,
        category_id=lookups.category_id(parsed),
        external_id=parsed.external_id,
        original_url=parsed.original_url,
        fingerprint=parsed.fingerprint,
        legacy_path=legacy_path,
        source_file=path,
        source_format=parsed.format,
        content_hash=parsed.content_hash,
        imported_at=now,
        import_run_id=run_id,
        front_matter=parsed.front_matter,
        inferred_fields=sorted(inferred),
        needs_review=bool(inferred),
        search_text=parsed.search_text,
    )
    article.imported_values = tracked.kept_values(tracked.encode(source_values(
        parsed, source=source, tags=lookups.tag_rows(parsed.tags),
        stocks=lookups.stock_rows(parsed.stocks), published_at=published_at,
    )))
    article.imported_values["category"] = article.category_id
    return article


def create_many(items, *, run_id, status, lookups) -> list[Article]:
    """Insert brand-new stories in one statement (plus one per relation); return the articles.

    The caller guarantees none of them matches an existing article or tombstone.
    """
    now = timezone.now()
    taken = set(
        Article.objects.filter(legacy_path__in=[p.legacy_path for _, p in items if p.legacy_path])
        .values_list("legacy_path", flat=True)
    )
    # Rows stories share are found or created now: no other query may run while the rows stream.
    lookups.categories  # noqa: B018 (loads them)
    lookups.load_stocks([ref for _, parsed in items for ref in parsed.stocks])
    for _, parsed in items:
        lookups.source(parsed)
        lookups.stock_rows(parsed.stocks)
        lookups.tag_rows(parsed.tags)
    ids = iter(bulk.allocate_ids(Article, len(items)))

    def build():  # row by row, so that the database stores each one while the next is built
        for path, parsed in items:
            legacy = parsed.legacy_path if parsed.legacy_path not in taken else None
            taken.add(legacy)
            article = new_article(parsed, path=path, run_id=run_id, status=status,
                                  source=lookups.source(parsed), lookups=lookups, now=now,
                                  legacy_path=legacy)
            article.pk = next(ids)
            yield article

    articles = bulk.insert(Article, build())
    pairs = [(article.pk, parsed) for article, (_, parsed) in zip(articles, items, strict=True)]
    bulk.insert_values(Article.stocks.through, ("article_id", "stock_id"), [
        (pk, stock.pk) for pk, parsed in pairs for stock in lookups.stock_rows(parsed.stocks)])
    # Suggested companies: found by the parse, less those linked, and only stocks that still
    # exist (an editor may have deleted one since the run began).
    wanted = {pk: suggested_ids(parsed, lookups.stock_rows(parsed.stocks)) for pk, parsed in pairs}
    existing = set(Stock.objects.filter(pk__in=set().union(*wanted.values())).values_list("pk", flat=True)) \
        if any(wanted.values()) else set()
    bulk.insert_values(Article.suggested_stocks.through, ("article_id", "stock_id"), [
        (pk, stock_id) for pk, ids in wanted.items() for stock_id in sorted(ids & existing)])
    bulk.insert_values(TaggedArticle, ("content_object_id", "tag_id"), [
        (pk, tag.pk) for pk, parsed in pairs for tag in lookups.tag_rows(parsed.tags)])
    if settings.NEWSROOM_SAME_STORY:
        placing.place([new_story(article, parsed, lookups)
                       for article, (_, parsed) in zip(articles, items, strict=True)], lookups.stories)
    changes.record_created(articles)  # bulk inserts send no signals
    return articles


def new_story(article: Article, parsed: ParsedArticle, lookups: Lookups) -> placing.NewStory:
    """The stored story `article` as the clustering takes it: its likeness, with its companies
    (the stocks it links and the names it suggests, by directory id)."""
    companies = [stock.pk for stock in lookups.stock_rows(parsed.stocks)]
    companies += [pk for group in parsed.suggested_stock_ids for pk in group]
    return placing.NewStory(article.pk, article.published_at, parsed.likeness, company_keys(companies))


def suggested_ids(parsed: ParsedArticle, linked: list[Stock]) -> set[int]:
    """The stocks to suggest for a story: the names found in its text, less any name one of
    whose stocks is linked already (潍柴动力 with the A share linked does not suggest the H share)."""
    linked_ids = {stock.pk for stock in linked}
    return {pk for group in parsed.suggested_stock_ids if not linked_ids & set(group) for pk in group}


def known_identities(items) -> tuple[set[str], set[str]]:
    """Return (which of the batch's identity keys already name an article or a tombstone, the
    fingerprint keys among them that only numbered stories hold).

    A numbered file whose words are a numbered story's is a new story (see find_existing):
    the second set lets the batch insert it rather than send it down the careful path."""
    ext, urls, fps = set(), set(), set()
    for _, parsed in items:
        if parsed.external_id:
            ext.update(identity.spellings(parsed.external_id))
        if parsed.original_url:
            urls.add(parsed.original_url)
        fps.add(parsed.fingerprint)
    found = set()
    for value in Article.objects.filter(external_id__in=ext).values_list("external_id", flat=True):
        found.update(identity.identity_keys(external_id=value))
    found.update(f"url:{u}" for u in Article.objects.filter(original_url__in=urls)
                 .values_list("original_url", flat=True))
    numbered = set()
    for fingerprint, external_id in Article.objects.filter(fingerprint__in=fps) \
            .values_list("fingerprint", "external_id"):
        found.add(f"fp:{fingerprint}")
        if external_id:
            numbered.add(f"fp:{fingerprint}")
    keys = [k for _, p in items for k in keys_of(p)]
    buried = set(Tombstone.objects.filter(key__in=keys).values_list("key", flat=True))
    return found | buried, numbered - buried


def keys_of(parsed: ParsedArticle) -> list[str]:
    return identity.identity_keys(external_id=parsed.external_id, original_url=parsed.original_url,
                                  fingerprint=parsed.fingerprint)


def _update(article, parsed, given, *, path, run_id, now) -> StoreResult:
    """Apply the source's new values `given` (Python values by field) to the fields no editor
    changed; park the others as pending changes."""
    imported = article.imported_values or {}
    current = tracked.read(article)
    applied, pending = [], {}
    # A summary is the source's account of its body: while an editor's body holds back the
    # source's new one, the source's new summary waits beside it (it may quote sentences the
    # kept body does not have).
    held = {"summary"} if _edited_and_changed(tracked.BY_NAME["body"], imported, current, given) else set()
    for spec in tracked.IMPORTED:
        name, new = spec.name, spec.encode(given[spec.name])
        if name == "published_at" and (new is None or "published_at" in parsed.inferred):
            continue  # a guessed date (a file's time, a code's day) never replaces a stored one
        before, kept_new = spec.kept(imported.get(name, current[name])), spec.kept(new)
        if kept_new == before:
            continue  # the source did not change this field
        if spec.kept(current[name]) == before and name not in held:
            if not applied:
                revisions.baseline(article.pk)  # the story as it stood, before the first change
            applied.append(name)
            imported[name] = kept_new
            spec.assign(article, given[name])  # the rows in hand: no look-up again
        else:
            pending[name] = new  # an editor changed it: keep theirs, offer the source's
    if not applied and not pending:
        outcome = Outcome.UNCHANGED
    elif pending:
        outcome = Outcome.CONFLICT
        article.pending_changes = {
            "fields": {**(article.pending_changes or {}).get("fields", {}), **pending},
            "detected_at": now.isoformat(),
            "source_file": path,
            "import_run": run_id,
        }
        article.needs_review = True
    else:
        outcome = Outcome.UPDATED
    read_now = {name for name in ("title", "published_at") if name not in parsed.inferred}
    article.inferred_fields = [f for f in article.inferred_fields if f not in read_now or f not in applied]
    article.needs_review = bool(article.inferred_fields or article.pending_changes)
    article.imported_values = imported
    article.content_hash = parsed.content_hash
    article.fingerprint = _free_fingerprint(parsed.fingerprint, article.pk)
    article.source_file = path
    article.front_matter = parsed.front_matter
    article.imported_at = now
    article.import_run_id = run_id
    article.save()
    if applied:
        revisions.record(article, revisions.Kind.IMPORT_UPDATE, run_id=run_id)
    return StoreResult(outcome, article, notes_of(parsed), pending=sorted(pending))


def _edited_and_changed(spec, imported: dict, current: dict, given: dict) -> bool:
    """Whether an editor changed the field of `spec` and the source changed it too."""
    before = spec.kept(imported.get(spec.name, current[spec.name]))
    return spec.kept(current[spec.name]) != before and spec.kept(spec.encode(given[spec.name])) != before


def _newer_source_on_file(path: str, *, than: tuple[int, str]) -> bool:
    """Whether the file the article was last imported from is the newer copy (ties broken by
    name, so two copies with one mtime never take turns updating the article)."""
    try:
        return (os.stat(path).st_mtime_ns, path) > than
    except OSError:
        return False  # gone: the file at hand is the only version left


def _free_legacy_path(path: str | None) -> str | None:
    if path and not Article.objects.filter(legacy_path=path).exists():
        return path
    return None


def _free_fingerprint(fingerprint: str, pk: int | None) -> str | None:
    taken = Article.objects.filter(~Q(pk=pk) if pk else Q(), fingerprint=fingerprint).exists()
    return None if taken else fingerprint
