"""The desk's hand on the hot lists (articles/admin/hot.py): the story list's actions 置顶热读,
从热读隐藏 and 恢复热读排名, and the 热读调整 list, in Chinese, for editors."""

import datetime

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from articles.admin.hot import PIN_HOURS
from articles.reading.models import HotPick
from tests.admin_support import make_editor
from tests.reading_support import story

CHANGELIST = reverse("admin:articles_article_changelist")


class HotActionsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.editor = make_editor()
        cls.a = story("阳光电源中标")
        cls.b = story("通威股份扩产")

    def setUp(self):
        self.client.force_login(self.editor)

    def act(self, action: str, *articles):
        return self.client.post(CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: [a.pk for a in articles]},
                                follow=True)

    def test_the_actions_are_offered_in_chinese(self):
        html = self.client.get(CHANGELIST).content.decode()
        for label in (f"置顶热读（{PIN_HOURS} 小时）", "从热读隐藏", "恢复热读排名（取消置顶或隐藏）"):
            self.assertIn(label, html)

    def test_pin_for_a_day_by_this_editor_with_a_log_entry(self):
        response = self.act("pin_to_hot_lists", self.a, self.b)
        self.assertContains(response, "已将 2 篇稿件置顶于 24小时热读和本周热读")
        picks = HotPick.objects.order_by("article_id")
        self.assertEqual([(p.article_id, p.action, p.user) for p in picks],
                         [(self.a.pk, "pin", self.editor), (self.b.pk, "pin", self.editor)])
        until = timezone.now() + datetime.timedelta(hours=PIN_HOURS)
        self.assertLess(abs((picks[0].until - until).total_seconds()), 60)
        self.assertEqual(LogEntry.objects.filter(change_message="置顶热读").count(), 2)

    def test_hide_then_restore(self):
        self.act("pin_to_hot_lists", self.a)
        response = self.act("hide_from_hot_lists", self.a)
        self.assertContains(response, "已从热读榜隐藏 1 篇稿件")
        pick = HotPick.objects.get()
        self.assertEqual((pick.action, pick.until), ("hide", None))
        response = self.act("restore_hot_ranking", self.a, self.b)
        self.assertContains(response, "已恢复 1 篇稿件的热读排名")
        self.assertFalse(HotPick.objects.exists())

    def test_the_decisions_list_in_chinese_and_a_pins_end_can_be_changed(self):
        self.act("pin_to_hot_lists", self.a)
        pick = HotPick.objects.get()
        listing = self.client.get(reverse("admin:articles_hotpick_changelist")).content.decode()
        for text in ("热读调整", "置顶", "阳光电源中标", "有效至"):
            self.assertIn(text, listing)
        url = reverse("admin:articles_hotpick_change", args=[pick.pk])
        self.assertContains(self.client.get(url), "留空则一直有效")
        response = self.client.post(url, {"article": self.a.pk, "action": "pin", "until_0": "", "until_1": ""})
        self.assertEqual(response.status_code, 302)
        pick.refresh_from_db()
        self.assertIsNone(pick.until)
        self.assertEqual(pick.user, self.editor)  # who made the decision, kept
