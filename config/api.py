"""Site-wide API views: the token sign-in (config/tokens.py) and the Swagger UI."""

from csp.decorators import csp_update
from django.contrib.auth import authenticate
from django.utils.decorators import method_decorator
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import permissions, serializers
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from annotate.safejson import JSONParser
from annotate.serializers import StrictFieldsMixin

from .throttling import LoginThrottle
from .tokens import issue_token


class TokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the token (config/tokens.py): `Authorization: Token <key>`.
    Here, not beside the token class: drf-spectacular's plumbing imports django.test and jinja2
    (~0.1 s), which every process would pay at start-up; the schema is built only where the URLs
    (and so this module) are loaded."""

    target_class = "config.tokens.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")


class TokenRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="the key: shown only now, stored only as a digest")
    expiry = serializers.DateTimeField(allow_null=True, help_text="when it stops working (null: until revoked)")


class TokenView(APIView):
    """Exchange a username and password for a new API token, shown once: send it as
    `Authorization: Token <key>`. Only its digest is stored; it expires after API_TOKEN_TTL_DAYS and
    is revoked when the password changes. Failed attempts are throttled per address and username
    (LOGIN_THROTTLE_RATE)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [JSONParser]
    serializer_class = TokenRequestSerializer

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT),
            429: OpenApiResponse(OpenApiTypes.OBJECT),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username, password = serializer.validated_data["username"], serializer.validated_data["password"]
        throttle = LoginThrottle(request, username)
        if (wait := throttle.retry_after()) is not None:
            raise Throttled(wait=wait, detail="Too many failed sign-ins; try again later.")
        user = authenticate(request._request, username=username, password=password)
        if user is None or not user.is_active:
            throttle.failed()
            raise ValidationError({"detail": "Unable to sign in with that username and password."})
        throttle.succeeded()
        stored, key = issue_token(user)
        return Response(TokenSerializer({"token": key, "expiry": stored.expiry}).data)


@method_decorator(csp_update({"style-src": ["'unsafe-inline'"]}), name="dispatch")
class SwaggerDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from local (sidecar) files; its start-up script is a separate request, so the
    page runs under our script-src 'self'. Only its small inline stylesheet needs an exception."""
