from django import template

from members.models import Role

register = template.Library()


@register.filter
def role_label(code: str) -> str:
    """A role's name in the language being rendered (e-mails carry the code, not the label)."""
    try:
        return str(Role(code).label)
    except ValueError:
        return code
