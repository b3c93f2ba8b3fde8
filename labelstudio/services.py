"""A lead's decisions about Label Studio: which reviewer an account is, and how a conflict between a
pulled annotation and our mark is settled. Marks are written through annotate.services."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from annotate.models import Annotation, Origin, Source, is_lead
from annotate.services import (
    MarkInput,
    NotAllowed,
    StaleVersion,
    create_external_reviewer,
    link_external,
    save_annotation,
)

from .convert import username_for
from .models import LabelStudioConflict, LabelStudioIdentity

EXTERNAL_ORIGIN = "label_studio"


def _require_lead(user) -> None:
    if not is_lead(user):
        raise NotAllowed("Only leads confirm Label Studio identities and settle conflicts.")


@transaction.atomic
def confirm_identity(identity: LabelStudioIdentity, *, by, user=None) -> LabelStudioIdentity:
    """A lead confirms whose marks the account's annotations become: `user`, else the proposed
    one, else a new external reviewer named after the account's e-mail. The next pull writes them."""
    _require_lead(by)
    identity = LabelStudioIdentity.objects.select_for_update().get(pk=identity.pk)
    if user is not None:
        identity.user = user
    if identity.user is None:
        User = get_user_model()
        email = identity.email or f"ls-user-{identity.remote_user_id}@labelstudio.invalid"
        base = email.split("@", 1)[0]
        taken = set(User.objects.filter(username__istartswith=base[:20]).values_list("username", flat=True))
        identity.user = create_external_reviewer(
            username=username_for(email, taken), email=identity.email, origin=EXTERNAL_ORIGIN
        )
    identity.confirmed_by = by
    identity.confirmed_at = timezone.now()
    identity.save(update_fields=["user", "confirmed_by", "confirmed_at"])
    return identity


def unconfirm_identity(identity: LabelStudioIdentity, *, by) -> None:
    """Stop writing the account's annotations until a lead confirms it again."""
    _require_lead(by)
    LabelStudioIdentity.objects.filter(pk=identity.pk).update(confirmed_by=None, confirmed_at=None)


def _pulled_mark(value: dict) -> MarkInput:
    source = None
    if value.get("source_id"):
        source = Source.objects.filter(pk=value["source_id"]).first()
    if source is None and value.get("source_name"):
        source = Source.objects.filter(name__iexact=value["source_name"]).first()
        if source is None:
            source = Source(name=value["source_name"], kind=value.get("source_kind") or "")
            source.full_clean()
            source.save()
    return MarkInput(
        label=value["label"],
        source=source,
        source_span=tuple(value["source_span"]) if value.get("source_span") else None,
        cue_span=tuple(value["cue_span"]) if value.get("cue_span") else None,
        note=value.get("note") or "",
    )


@transaction.atomic
def settle_conflict(conflict: LabelStudioConflict, *, by, take_theirs: bool) -> LabelStudioConflict:
    """Keep our mark (the pulled value is recorded as seen, so the next pull leaves it alone until
    it changes in Label Studio again), or take theirs: written as the lead's change through
    annotate.services (refused with StaleVersion if our mark changed again since the conflict)."""
    _require_lead(by)
    conflict = LabelStudioConflict.objects.select_for_update().get(pk=conflict.pk)
    if conflict.settled_at is not None:
        raise ValidationError("this conflict is settled already")
    current = Annotation.objects.filter(sentence_id=conflict.sentence_id, reviewer_id=conflict.reviewer_id).first()
    if take_theirs:
        if (current.version if current else None) != conflict.local_version:
            raise StaleVersion(current) if current else ValidationError("our mark was deleted since: pull again")
        save_annotation(
            reviewer=conflict.reviewer,
            sentence=conflict.sentence_id,
            mark=_pulled_mark(conflict.remote_value),
            expected_version=conflict.local_version,
            origin=Origin.LABEL_STUDIO,
            external_id=conflict.remote_annotation_id,
            external_updated=conflict.remote_updated,
            external_version=True,
            changed_by=by,
        )
    elif current is not None:
        link_external(
            annotation=current, external_id=conflict.remote_annotation_id, external_updated=conflict.remote_updated
        )
    conflict.settled_by = by
    conflict.settled_at = timezone.now()
    conflict.resolution = (
        LabelStudioConflict.Resolution.TOOK_THEIRS if take_theirs else LabelStudioConflict.Resolution.KEPT_OURS
    )
    conflict.save(update_fields=["settled_by", "settled_at", "resolution"])
    return conflict
