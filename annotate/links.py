"""An article's links to the articles or outlets it restates, from the provider that
settings.ARTICLE_LINKS_PROVIDER names (annotate imports no other app: the claims app plugs in)."""

from django.conf import settings
from django.utils.module_loading import import_string


def article_links(article) -> list[dict]:
    """Plain dicts (see serializers.RewriteLinkSerializer); [] when no provider is configured."""
    name = getattr(settings, "ARTICLE_LINKS_PROVIDER", "")
    return list(import_string(name)(article)) if name else []
