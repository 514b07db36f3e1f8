"""Who may do what at the desk: anonymous, non-staff, the 编辑 group, superusers."""

import io

from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from articles.management.commands.setup_roles import EDITOR_GROUP
from articles.models import Article, ImportRun, Source
from tests.admin_support import (
    EDITOR_PASSWORD,
    SEEDS,
    import_files,
    make_editor,
    make_superuser,
    suning_haier,
)

CHANGELIST = reverse("admin:articles_article_changelist")


class SetupRolesTests(TestCase):
    def test_command_is_idempotent_and_grants_the_desk_not_the_users(self):
        out = io.StringIO()
        call_command("setup_roles", stdout=out)
        self.assertIn("created", out.getvalue())
        first = set(Group.objects.get(name=EDITOR_GROUP).permissions.values_list("codename", flat=True))
        call_command("setup_roles", stdout=out)
        self.assertIn("updated", out.getvalue())
        group = Group.objects.get(name=EDITOR_GROUP)
        self.assertEqual(set(group.permissions.values_list("codename", flat=True)), first)
        self.assertEqual(Group.objects.filter(name=EDITOR_GROUP).count(), 1)

        self.assertTrue({"change_article", "delete_article", "add_source", "change_source",
                         "change_category", "change_stock", "view_importrun"} <= first)
        self.assertNotIn("delete_source", first)
        self.assertFalse({"add_importrun", "change_importrun", "delete_importrun"} & first)
        self.assertFalse(group.permissions.filter(content_type__app_label="auth").exists())

    def test_command_restores_a_tampered_group(self):
        call_command("setup_roles", stdout=io.StringIO())
        group = Group.objects.get(name=EDITOR_GROUP)
        group.permissions.add(Permission.objects.get(codename="delete_source"))
        group.permissions.remove(Permission.objects.get(codename="change_article"))
        call_command("setup_roles", stdout=io.StringIO())
        codenames = set(group.permissions.values_list("codename", flat=True))
        self.assertIn("change_article", codenames)
        self.assertNotIn("delete_source", codenames)


class AnonymousAndNonStaffTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_files(SEEDS)

    def test_anonymous_gets_the_login_page(self):
        article = suning_haier()
        for url in (reverse("admin:index"), CHANGELIST,
                    reverse("admin:articles_article_preview", args=[article.pk]),
                    reverse("admin:articles_importrun_changelist")):
            with self.subTest(url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 302)
                self.assertTrue(response["Location"].startswith(reverse("admin:login")))
        login = self.client.get(reverse("admin:login"))
        self.assertContains(login, "财经新闻台 · 编辑部")
        self.assertContains(login, "用户名")

    def test_non_staff_user_gets_the_login_page(self):
        reader = User.objects.create_user("reader", password="Duzhe-2024-pass")
        self.client.force_login(reader)
        response = self.client.get(CHANGELIST)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(reverse("admin:login")))

    def test_anonymous_cannot_post_an_action(self):
        article = suning_haier()
        self.client.post(CHANGELIST, {"action": "publish", "_selected_action": [article.pk],
                                      "index": 0})
        self.assertEqual(suning_haier().status, Article.Status.REVIEW)

    def test_login_form_works_for_an_editor(self):
        make_editor()
        response = self.client.post(
            reverse("admin:login"),
            {"username": "editor", "password": EDITOR_PASSWORD, "next": CHANGELIST},
        )
        self.assertRedirects(response, CHANGELIST)


class EditorBoundaryTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_files(SEEDS)
        cls.editor = make_editor()
        cls.empty_source = Source.objects.create(name="空来源")

    def setUp(self):
        self.client.force_login(self.editor)

    def test_editor_can_publish(self):
        article = suning_haier()
        self.client.post(CHANGELIST, {"action": "publish", "_selected_action": [article.pk],
                                      "index": 0})
        self.assertEqual(suning_haier().status, Article.Status.PUBLISHED)

    def test_editor_cannot_delete_sources(self):
        url = reverse("admin:articles_source_delete", args=[self.empty_source.pk])
        self.assertEqual(self.client.get(url).status_code, 403)
        self.assertEqual(self.client.post(url, {"post": "yes"}).status_code, 403)
        changelist = self.client.get(reverse("admin:articles_source_changelist"))
        actions = [choice[0] for choice in changelist.context["action_form"].fields["action"].choices]
        self.assertNotIn("delete_selected", actions)
        self.assertIn("merge_selected", actions)
        self.client.post(reverse("admin:articles_source_changelist"), {
            "action": "delete_selected", "_selected_action": [self.empty_source.pk], "post": "yes",
        })
        self.assertTrue(Source.objects.filter(pk=self.empty_source.pk).exists())

    def test_editor_cannot_change_users_or_groups(self):
        for url in (reverse("admin:auth_user_changelist"),
                    reverse("admin:auth_user_change", args=[self.editor.pk]),
                    reverse("admin:auth_group_changelist")):
            with self.subTest(url):
                self.assertEqual(self.client.get(url).status_code, 403)
        self.client.post(reverse("admin:auth_user_change", args=[self.editor.pk]),
                         {"username": "editor", "is_superuser": "on", "is_staff": "on"})
        self.editor.refresh_from_db()
        self.assertFalse(self.editor.is_superuser)
        index = self.client.get(reverse("admin:index")).content.decode()
        self.assertNotIn(reverse("admin:auth_user_changelist"), index)

    def test_editor_sees_the_import_ledger_read_only(self):
        run = ImportRun.objects.get()
        self.assertEqual(self.client.get(reverse("admin:articles_importrun_changelist")).status_code, 200)
        detail = self.client.get(reverse("admin:articles_importrun_change", args=[run.pk]))
        self.assertEqual(detail.status_code, 200)
        self.assertNotContains(detail, 'name="_save"')
        self.assertEqual(self.client.get(reverse("admin:articles_importrun_add")).status_code, 403)
        self.assertEqual(
            self.client.get(reverse("admin:articles_importrun_delete", args=[run.pk])).status_code, 403
        )


class SuperuserTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_files(SEEDS)
        cls.chief = make_superuser()

    def setUp(self):
        self.client.force_login(self.chief)

    def test_superuser_can_delete_an_empty_source_and_manage_users(self):
        empty = Source.objects.create(name="空来源")
        response = self.client.post(reverse("admin:articles_source_delete", args=[empty.pk]),
                                    {"post": "yes"})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Source.objects.filter(pk=empty.pk).exists())
        self.assertEqual(self.client.get(reverse("admin:auth_user_changelist")).status_code, 200)

    def test_a_source_with_articles_is_protected_even_for_a_superuser(self):
        source = suning_haier().source
        response = self.client.post(reverse("admin:articles_source_delete", args=[source.pk]),
                                    {"post": "yes"})
        self.assertEqual(response.status_code, 200)  # the "protected objects" page
        self.assertTrue(Source.objects.filter(pk=source.pk).exists())

    def test_import_ledger_is_read_only_even_for_a_superuser(self):
        run = ImportRun.objects.get()
        self.assertEqual(self.client.get(reverse("admin:articles_importrun_add")).status_code, 403)
        before = (run.created, run.status)
        response = self.client.post(reverse("admin:articles_importrun_change", args=[run.pk]),
                                    {"created": 999, "status": "ok"})
        self.assertEqual(response.status_code, 403)
        run.refresh_from_db()
        self.assertEqual((run.created, run.status), before)

    def test_admin_speaks_chinese(self):
        index = self.client.get(reverse("admin:index"))
        self.assertContains(index, "<title>编辑工作台 | 财经新闻台编辑部</title>", html=False)
        self.assertContains(index, "稿件")
        self.assertContains(index, "导入记录")
        self.assertContains(index, 'lang="zh-hans"')
