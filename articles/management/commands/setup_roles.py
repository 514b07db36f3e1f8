"""Create or update the editors' group and its permissions (safe to run any number of times)."""

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError

EDITOR_GROUP = "编辑"

# Everything the desk needs; no user or group management, and sources are merged, not deleted.
EDITOR_PERMISSIONS = {
    "article": ("view", "add", "change", "delete"),
    "source": ("view", "add", "change"),
    "sourcekey": ("view", "add", "change", "delete"),
    "category": ("view", "add", "change", "delete"),
    "stock": ("view", "add", "change", "delete"),
    "articletag": ("view", "add", "change", "delete"),
    "taggedarticle": ("view", "add", "change", "delete"),
    "importrun": ("view",),
    "importfileresult": ("view",),
    "tombstone": ("view", "delete"),
    "correction": ("view", "add"),
    "hotpick": ("view", "add", "change", "delete"),
}


def editor_permissions() -> list[Permission]:
    """Return the Permission rows of the editors' group (they exist once migrate has run)."""
    wanted = {
        f"{action}_{model}" for model, actions in EDITOR_PERMISSIONS.items() for action in actions
    }
    found = list(Permission.objects.filter(content_type__app_label="articles", codename__in=wanted))
    missing = wanted - {permission.codename for permission in found}
    if missing:
        raise CommandError(
            f"permissions missing: {', '.join(sorted(missing))}; run `manage.py migrate` first"
        )
    return found


class Command(BaseCommand):
    help = f"Create or update the editors' group ({EDITOR_GROUP}) with the desk's permissions."

    def handle(self, *args, **options):
        group, created = Group.objects.get_or_create(name=EDITOR_GROUP)
        permissions = editor_permissions()
        group.permissions.set(permissions)
        verb = "created" if created else "updated"
        self.stdout.write(
            f"group {EDITOR_GROUP!r} {verb} with {len(permissions)} permissions; "
            "add editors to it in the admin (用户 → 组) and tick 职员状态 (is_staff)"
        )
