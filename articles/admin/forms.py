"""Forms of the editors' desk: the article form and the intermediate pages of bulk actions."""

from django import forms
from django.contrib.admin import helpers
from taggit.utils import parse_tags

from articles.ingest.cleaning import sanitise
from articles.models import Article, Category, Source

INFERRED_HELP = "⚠ 此字段由导入程序推断，请核对；保存即视为已核对。"


class ArticleAdminForm(forms.ModelForm):
    class Meta:
        model = Article
        # The fieldsets of ArticleAdmin choose what is shown; provenance is read-only there.
        fields = (
            "title", "summary", "body", "source", "category", "tags", "stocks", "status",
            "published_at", "slug",
        )
        widgets = {
            "title": forms.TextInput(attrs={"class": "vLargeTextField nr-title"}),
            "summary": forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}),
            "body": forms.Textarea(attrs={"rows": 18, "class": "vLargeTextField nr-body"}),
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

    def clean_body(self) -> str:
        # The model sanitises too; doing it here as well lets the change message and the
        # re-shown form see exactly what is stored (browsers post textareas with CRLF).
        return sanitise(self.cleaned_data.get("body") or "")


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
