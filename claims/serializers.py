"""API shapes of the claims app: groups with their members, article links."""

from django.contrib.auth.models import User
from rest_framework import serializers

from annotate.models import Article

from .models import ArticleLink, ClaimGroup, ClaimMember


class ClaimMemberSerializer(serializers.ModelSerializer):
    sentence_id = serializers.IntegerField(source="sentence.pk", read_only=True)
    article_id = serializers.IntegerField(source="sentence.article_id", read_only=True)
    outlet = serializers.CharField(source="sentence.article.outlet.domain", read_only=True)
    published = serializers.DateField(source="sentence.article.published", read_only=True, allow_null=True)
    position = serializers.IntegerField(source="sentence.position", read_only=True)
    text = serializers.CharField(source="sentence.text", read_only=True)

    class Meta:
        model = ClaimMember
        fields = ["sentence_id", "article_id", "outlet", "published", "position", "text"]


class ClaimGroupSerializer(serializers.ModelSerializer):
    members = ClaimMemberSerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = ClaimGroup
        fields = ["id", "status", "first_published", "outlet_count", "member_count", "url", "members", "updated"]

    def get_url(self, group) -> str:
        return group.get_absolute_url()


class ArticleLinkSerializer(serializers.ModelSerializer):
    original_article: "serializers.PrimaryKeyRelatedField[Article]" = serializers.PrimaryKeyRelatedField(read_only=True)
    decided_by: "serializers.SlugRelatedField[User]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = ArticleLink
        fields = ["id", "article", "kind", "status", "original_domain", "original_article", "similarity",
                  "evidence", "decided_by", "decided_at"]  # fmt: skip
