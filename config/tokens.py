"""API tokens (django-rest-knox): stored as SHA-512 digests, never as the key; a key is shown once,
when `POST /api/v1/auth/token/` creates it; tokens expire (API_TOKEN_TTL_DAYS) and are revoked
when their user's password changes or the user is deactivated. Leads see who has tokens and revoke
them in the admin; nobody can read a token or mint one for someone else."""

import binascii
from hmac import compare_digest

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import router
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

from annotate import compiled

# A user keeps at most this many tokens (one per script or machine); signing in once more revokes
# the oldest, so tokens of forgotten scripts do not pile up.
MAX_TOKENS_PER_USER = 20


def _tokens_with_key(token_key):
    return AuthToken.objects.filter(token_key=token_key).select_related("user")


def tokens_with_key(token_key: str) -> list[AuthToken]:
    """The stored tokens whose key starts as `token_key`, each with its user: knox's query, built
    and compiled once (annotate/compiled.py), then run with the key on every request (the ORM
    built it anew each time: about half a millisecond of a mark write). Read on every request,
    never cached: a revoked token or a deactivated user is refused at once. As a token request's
    first query it is also the connection's health check (`compiled.read_checking_connection`)."""
    using = router.db_for_read(AuthToken)
    token_fields = AuthToken._meta.concrete_fields
    user_model = AuthToken._meta.get_field("user").related_model
    rows = compiled.read_checking_connection(
        lambda: compiled.fetch_all("knox-token", _tokens_with_key, token_key, using=using), using=using
    )
    found = []
    for row in rows:
        token = AuthToken.from_db(using, [field.attname for field in token_fields], row[: len(token_fields)])
        token.user = user_model.from_db(
            using, [field.attname for field in user_model._meta.concrete_fields], row[len(token_fields) :]
        )
        found.append(token)
    return found


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox's token check, without its per-request scan of the user's other tokens (one query on
    every request); expired tokens are refused here and removed when their user signs in again.
    The token query is compiled once (`tokens_with_key`); the check itself is knox's."""

    def authenticate_credentials(self, token):
        """knox's `authenticate_credentials` (knox 5.1), with the token rows from `tokens_with_key`."""
        msg = _("Invalid token.")
        token = token.decode("utf-8")
        for auth_token in tokens_with_key(token[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed(msg) from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(msg)

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
