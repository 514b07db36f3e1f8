"""Third-party apps as the Chinese desk names them."""

from axes.apps import AppConfig as AxesAppConfig


class LoginGuardConfig(AxesAppConfig):
    """django-axes (login throttling), titled in Chinese in the admin; its models' names come
    from locale/zh_Hans (axes ships no Chinese)."""

    verbose_name = "登录防护"
