"""API tokens (django-rest-knox): stored as SHA-512 digests, never as the key; a key is shown once,
when `POST /api/v1/auth/token/` creates it; tokens expire (API_TOKEN_TTL_DAYS) and are revoked
when their user's password changes or the user is deactivated. Leads see who has tokens and revoke
them in the admin; nobody can read a token or mint one for someone else."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.models import AuthToken

# A user keeps at most this many tokens (one per script or machine); signing in once more revokes
# the oldest, so tokens of forgotten scripts do not pile up.
MAX_TOKENS_PER_USER = 20


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox's token check, without its per-request scan of the user's other tokens (one query on
    every request); expired tokens are refused here and removed when their user signs in again."""

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False


def issue_token(user) -> tuple[AuthToken, str]:
    """A new token for `user` (their own sign-in only): returns (stored row, key). The key exists
    only in this response; the database keeps its digest."""
    tokens = AuthToken.objects.filter(user=user)
    tokens.filter(expiry__lt=timezone.now()).delete()
    keep = MAX_TOKENS_PER_USER - 1
    stale = list(tokens.order_by("-created").values_list("digest", flat=True)[keep:])
    if stale:
        AuthToken.objects.filter(digest__in=stale).delete()
    return AuthToken.objects.create(user=user, expiry=settings.REST_KNOX["TOKEN_TTL"])


def revoke_tokens(user) -> int:
    """Delete every token of `user`; returns how many there were."""
    return AuthToken.objects.filter(user=user).delete()[0]


def revoke_on_password_change_or_deactivation(sender, instance, created, update_fields=None, **kwargs):
    """post_save of the user model (credential invalidation): a new password (set_password leaves
    `_password` set until the save completes) or a deactivated account revokes the user's tokens."""
    if created:
        return
    password_changed = getattr(instance, "_password", None) is not None
    if password_changed or not instance.is_active:
        revoke_tokens(instance)


def connect_signals() -> None:
    from django.db.models.signals import post_save

    post_save.connect(
        revoke_on_password_change_or_deactivation, sender=get_user_model(), dispatch_uid="revoke-api-tokens"
    )
