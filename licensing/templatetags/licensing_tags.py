from django import template

from licensing.models import LicenceStatus

register = template.Library()


@register.filter
def licence_status_label(code: str) -> str:
    """A licence status in the language being rendered (e-mails carry the code)."""
    try:
        return str(LicenceStatus(code).label)
    except ValueError:
        return code
