from django.urls import path

from annotation_qc.accounts import apis

urlpatterns = [
    path("auth/csrf/", apis.CsrfApi.as_view(), name="auth-csrf"),
    path("auth/login/", apis.LoginApi.as_view(), name="auth-login"),
    path("auth/logout/", apis.LogoutApi.as_view(), name="auth-logout"),
    path("auth/me/", apis.MeApi.as_view(), name="auth-me"),
    path("auth/token/", apis.TokenCreateApi.as_view(), name="auth-token"),
    path("auth/tokens/<id:token_id>/", apis.TokenRevokeApi.as_view(), name="auth-token-revoke"),
    path("auth/me/preferences/", apis.PreferencesApi.as_view(), name="auth-preferences"),
    path("auth/set-password/", apis.SetPasswordApi.as_view(), name="auth-set-password"),
    path("accounts/", apis.AccountCreateApi.as_view(), name="account-create"),
]
