"""How well the importer finds companies in the real corpus, against the companies each story
names as a reader labelled them (tests/fixtures/companies.tsv, 90 stories, labelled by
reading, not from the importer's output). Floors a little under the figures reported in
docs/stocks.md: a change that makes linking worse fails here."""

from pathlib import Path

from django.test import TestCase

from articles.linking_eval import evaluate, labels

FIXTURES = Path(__file__).resolve().parent / "fixtures"


class LinkingQualityTests(TestCase):
    def test_precision_and_recall_on_the_labelled_corpus(self):
        labelled = labels(FIXTURES / "companies.tsv")
        self.assertEqual(len(labelled), 90)
        scores, _ = evaluate(FIXTURES, labelled)
        linked, suggested, both = scores["linked"], scores["suggested"], scores["both"]
        self.assertGreaterEqual(linked.precision, 0.93)  # charts and names with codes
        self.assertGreaterEqual(suggested.precision, 0.88)  # bare names, for editors to confirm
        self.assertGreaterEqual(suggested.recall, 0.73)
        self.assertGreaterEqual(both.precision, 0.9)
        self.assertGreaterEqual(both.recall, 0.78)
        self.assertGreater(both.labelled, 200)
