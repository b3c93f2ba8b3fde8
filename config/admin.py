"""Admin for API tokens: leads see who holds tokens and revoke them; nobody reads a token (only its
digest is stored, and not even that is shown) or mints one for someone else (no add: a user gets
their own from POST /api/v1/auth/token/). And the task workers, read-only."""

from django.contrib import admin
from knox.models import AuthToken

from .models import TaskWorker
from .tokens import revoke_tokens

if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)  # knox's own admin mints tokens and shows digests


@admin.action(description="Revoke every token of the selected tokens' users")
def revoke_users_tokens(modeladmin, request, queryset):
    users = {token.user for token in queryset.select_related("user")}
    count = sum(revoke_tokens(user) for user in users)
    modeladmin.message_user(request, f"Revoked {count} token(s) of {len(users)} user(s).")


TOKEN_FIELDS = ("user", "created", "expiry")  # shown, never edited


@admin.register(AuthToken)
class TokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created", "expiry"]
    list_filter = ["created", "expiry"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    fields = readonly_fields = TOKEN_FIELDS
    actions = ["delete_selected", revoke_users_tokens]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TaskWorker)
class TaskWorkerAdmin(admin.ModelAdmin):
    """The live task workers and their last heartbeats (read-only: the workers keep these rows)."""

    list_display = ["worker_id", "hostname", "pid", "started", "heartbeat"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
