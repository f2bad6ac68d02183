from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "annotation_qc.accounts"
    label = "accounts"
