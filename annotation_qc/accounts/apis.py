from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, login, logout
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from annotation_qc.accounts.services import (
    account_create,
    api_token_create,
    api_token_revoke,
    password_set_with_token,
    preferences_update,
)
from annotation_qc.core.auth import authenticated_user
from annotation_qc.core.exceptions import ServiceError
from annotation_qc.core.serializers import StrictSerializer
from annotation_qc.projects.models import Membership


class MeOutputSerializer(serializers.Serializer):
    class MembershipSerializer(serializers.Serializer):
        project_id = serializers.IntegerField()
        project_name = serializers.CharField(source="project.name")
        project_kind = serializers.CharField(source="project.kind")
        role = serializers.CharField()

    id = serializers.IntegerField()
    username = serializers.CharField()
    is_staff = serializers.BooleanField()
    preferences = serializers.DictField()
    memberships = serializers.SerializerMethodField()

    def get_memberships(self, user: Any) -> list[dict[str, Any]]:
        rows = Membership.objects.filter(user=user).select_related("project").order_by("project_id")
        return self.MembershipSerializer(rows, many=True).data  # type: ignore[return-value]


class CredentialsSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


def _authenticate(request: Request, serializer: type[CredentialsSerializer] = CredentialsSerializer) -> Any:
    data = serializer(data=request.data)
    data.is_valid(raise_exception=True)
    user = authenticate(
        request, username=data.validated_data["username"], password=data.validated_data["password"]
    )
    if user is None:
        raise ServiceError("Wrong username or password.", errors={"password": ["wrong username or password"]})
    return user


@method_decorator(ensure_csrf_cookie, name="dispatch")
class CsrfApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={204: None})
    def get(self, request: Request) -> Response:
        return Response(status=status.HTTP_204_NO_CONTENT)


class LoginApi(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=CredentialsSerializer, responses=MeOutputSerializer)
    def post(self, request: Request) -> Response:
        user = _authenticate(request)
        login(request._request, user)
        return Response(MeOutputSerializer(user).data)


class LogoutApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeOutputSerializer(request.user).data)


class TokenCreateApi(APIView):
    """Exchange credentials for an API token (shown once; only its digest is stored)."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    class InputSerializer(CredentialsSerializer):
        name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        token = serializers.CharField()
        name = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = _authenticate(request, self.InputSerializer)
        token, raw = api_token_create(user=user, name=data.validated_data["name"])
        body = self.OutputSerializer({"id": token.pk, "token": raw, "name": token.name}).data
        return Response(body, status=status.HTTP_201_CREATED)


class TokenRevokeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request: Request, token_id: int) -> Response:
        api_token_revoke(user=authenticated_user(request), token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PreferencesApi(APIView):
    """The user's own settings: per-project hotkey remaps, ``{"hotkeys": {project_id: {label: key}}}``."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(StrictSerializer):
        hotkeys = serializers.DictField(child=serializers.DictField(allow_empty=True))

    @extend_schema(request=InputSerializer, responses=dict)
    def patch(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticated_user(request)
        return Response(preferences_update(user=user, hotkeys=data.validated_data["hotkeys"]))


class AccountCreateApi(APIView):
    """Staff create an account; the response carries a one-time link for its owner to choose a password."""

    permission_classes = [IsAdminUser]

    class InputSerializer(StrictSerializer):
        username = serializers.RegexField(r"^[\w.@+-]+$", max_length=150)
        email = serializers.EmailField(required=False, allow_blank=True, default="")
        is_staff = serializers.BooleanField(required=False, default=False)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        set_password_url = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, link = account_create(**data.validated_data)
        body = {"id": user.pk, "username": user.username, "set_password_url": link}
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)


class SetPasswordApi(APIView):
    """Choose a password with the one-time link's ``uid`` and ``token``."""

    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    class InputSerializer(StrictSerializer):
        uid = serializers.CharField(max_length=64)
        token = serializers.CharField(max_length=128)
        password = serializers.CharField(max_length=256, trim_whitespace=False)

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        password_set_with_token(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)
