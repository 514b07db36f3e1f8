"""Forms of the editors' desk: the article form and the intermediate pages of bulk actions."""

from django import forms
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AdminSplitDateTime
from taggit.utils import parse_tags

from articles.admin import edits
from articles.ingest.cleaning import sanitise
from articles.models import Article, Category, Source
from articles.tracked import LABELS

# The story's fields an editor edits in the form.
EDITABLE = ("title", "summary", "body", "source", "category", "tags", "stocks", "status",
            "published_at", "slug")


INFERRED_HELP = "⚠ 此字段由导入程序推断，请核对，并勾选下方的“已核对推断字段”。"


class SplitDateTimeToTheSecond(AdminSplitDateTime):
    """The admin's date and time inputs, the time with its seconds (the Chinese locale's first
    input format drops them, so an untouched save would move 22:33:43 to 22:33:00)."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.widgets[1].format = "%H:%M:%S"


class ArticleAdminForm(forms.ModelForm):
    # What the editor saw when the form was opened (articles/admin/edits.py).
    nr_base = forms.CharField(widget=forms.HiddenInput, required=False)
    confirm_inferred = forms.BooleanField(
        label="已核对推断字段", required=False,
        help_text="导入程序推断的标题与发布时间已经核对无误（改过的字段自动视为已核对）。")

    class Meta:
        model = Article
        # The fieldsets of ArticleAdmin choose what is shown; provenance is read-only there.
        fields = EDITABLE
        widgets = {
            "title": forms.TextInput(attrs={"class": "vLargeTextField nr-title"}),
            "summary": forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}),
            "body": forms.Textarea(attrs={"rows": 18, "class": "vLargeTextField nr-body"}),
            "published_at": SplitDateTimeToTheSecond,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "tags" in self.fields:
            self.fields["tags"].widget.attrs["class"] = "vTextField nr-tags"
        for name in self.instance.inferred_fields or []:
            if name in self.fields:
                field = self.fields[name]
                field.help_text = INFERRED_HELP
                field.widget.attrs["class"] = (field.widget.attrs.get("class", "") + " nr-inferred").strip()

    def edited_names(self) -> list[str]:
        return [name for name in EDITABLE if name in self.fields]

    def get_initial_for_field(self, field, field_name):
        if field_name == "nr_base":
            return edits.base_of(edits.stored_values(self.instance, self.edited_names()))
        return super().get_initial_for_field(field, field_name)

    def clean_body(self) -> str:
        # The model sanitises too; doing it here as well lets the change message and the
        # re-shown form see exactly what is stored (browsers post textareas with CRLF).
        return sanitise(self.cleaned_data.get("body") or "")

    def clean(self):
        cleaned = super().clean()
        names = [name for name in self.edited_names() if name in cleaned]
        if not self.instance.pk:
            self.edited = names
            return cleaned
        base = edits.read_base(cleaned.get("nr_base"))
        stored = edits.stored_values(self.instance, names)
        merged = edits.merge({name: cleaned[name] for name in names}, stored, base, LABELS)
        cleaned.update(merged.values)
        self.edited = merged.edited
        self.conflicts = merged.conflicts
        unchecked = [name for name in self.instance.inferred_fields or [] if name not in self.edited]
        if (unchecked and cleaned.get("status") == Article.Status.PUBLISHED
                and not cleaned.get("confirm_inferred") and "confirm_inferred" in self.fields):
            labels = "、".join(LABELS.get(name, name) for name in unchecked)
            self.add_error("confirm_inferred", f"发布前请核对导入程序推断的{labels}，并勾选“已核对推断字段”。")
        if merged.conflicts:
            # The next save is the editor's decision on these fields: they have seen both.
            for conflict in merged.conflicts:
                base[conflict.field] = edits.fingerprint(conflict.field, conflict.theirs)
                self.add_error(conflict.field, f"你打开本稿之后，其他编辑修改了「{conflict.label}」。"
                                               "请对照下方对方的版本合并后再保存。")
            self.data = self.data.copy()
            self.data[self.add_prefix("nr_base")] = edits.write_base(base)
        return cleaned

    @property
    def changed_data(self) -> list[str]:
        """The fields this save changes (after merging), for the history and the save itself."""
        edited = getattr(self, "edited", None)
        return list(edited) if edited is not None else super().changed_data


class ActionForm(forms.Form):
    """An intermediate page's form; it posts back to the change list with the selection."""

    def __init__(self, *args, selected=(), action: str = "", select_across: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.selected = [str(pk) for pk in selected]
        self.action = action
        self.select_across = select_across
        self.checkbox_name = helpers.ACTION_CHECKBOX_NAME


class SetCategoryForm(ActionForm):
    category = forms.ModelChoiceField(
        label="栏目", queryset=Category.objects.all(), empty_label=None
    )


class AddTagsForm(ActionForm):
    tags = forms.CharField(
        label="标签", max_length=500, help_text="多个标签用逗号分隔，例如：家电，战略合作"
    )

    def clean_tags(self) -> list[str]:
        names = [name[:100] for name in parse_tags(self.cleaned_data["tags"].replace("，", ","))]
        if not names:
            raise forms.ValidationError("请至少填写一个标签。")
        return names


class MergeSourcesForm(ActionForm):
    target = forms.ModelChoiceField(
        label="合并到", queryset=Source.objects.none(), empty_label=None,
        widget=forms.RadioSelect,
        help_text="其他所选来源的稿件与别名都将移到这个来源，随后删除这些空来源。",
    )

    def __init__(self, *args, sources=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = sources if sources is not None else Source.objects.none()
