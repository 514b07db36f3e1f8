"""Same-story clustering against pairs labelled by reading (tests/fixtures/same_story.tsv):
real corpus reprints and look-alikes, rewrites made the way publishers make them, and hard
negatives (templated daily reports, the same company's other news). The figures are reported
in docs/clusters.md; the floors here keep them from sliding."""

from pathlib import Path

from django.test import TestCase

from articles.clusters.evaluation import evaluate, read_pairs

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOTS = {"corpus": FIXTURES / "finews", "seeds": FIXTURES / "seeds", "fixture": FIXTURES / "clusters"}


class EvaluationTests(TestCase):
    def test_the_labelled_set_is_what_docs_say(self):
        pairs = read_pairs(FIXTURES / "same_story.tsv")
        self.assertGreaterEqual(len(pairs), 200)
        self.assertGreaterEqual(sum(p.same for p in pairs), 100)
        hard = [p for p in pairs if not p.same and p.kind in {"template", "company", "event"}]
        self.assertGreaterEqual(len(hard), 60)
        for pair in pairs:
            for name in (pair.a, pair.b):
                root, _, file = name.partition(":")
                self.assertTrue((ROOTS[root] / file).is_file(), name)

    def test_precision_and_recall_through_the_real_import(self):
        score = evaluate(read_pairs(FIXTURES / "same_story.tsv"), ROOTS)
        misses = "\n".join(f"{'same' if p.same else 'different'} {p.kind}: {p.a} {p.b}" for p, _ in score.misses)
        print(f"\nsame-story pairs: precision {score.precision:.3f}, recall {score.recall:.3f} "
              f"(tp {score.true_pos}, fp {score.false_pos}, fn {score.false_neg}, tn {score.true_neg})\n{misses}")
        self.assertGreaterEqual(score.precision, 0.98, misses)
        self.assertGreaterEqual(score.recall, 0.95, misses)
