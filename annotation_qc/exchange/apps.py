from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "annotation_qc.exchange"
    label = "exchange"
