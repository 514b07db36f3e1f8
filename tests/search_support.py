"""The corpus the search tests run on, and the reference they are held to: plain substring
search over the same text the index was built from. Every query must find exactly the
published stories that contain it."""

from django.test import TestCase

from articles.models import Article
from articles.search.tokens import html_to_text
from tests.site_support import create_hidden_stories, import_published


class SearchCorpusTestCase(TestCase):
    """The real seed and corpus files, published, plus stories in every hidden state."""

    @classmethod
    def setUpTestData(cls):
        import_published()
        # search_text as the model builds it (the importer builds it from the parsed text),
        # so that the reference below reads exactly the text that was indexed.
        for article in Article.objects.all():
            article.save()
        cls.hidden = create_hidden_stories()
        cls.texts = {
            a.pk: (a.title, a.summary, html_to_text(a.body))
            for a in Article.objects.published()
        }

    def reference(self, *terms) -> set[int]:
        """Ids of published stories containing every term, by plain substring search."""
        return {pk for pk, parts in self.texts.items()
                if all(any(term in part for part in parts) for term in terms)}
