from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from annotation_qc.accounts.models import User
from annotation_qc.labeling.models import Item, Prediction, Task
from annotation_qc.projects.models import Membership, Project


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    kind = Project.Kind.BBOX
    labels = factory.LazyFunction(lambda: ["car", "person", "bike"])
    overlap_fraction = 0.0
    benchmark_rate = 0.0


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.ANNOTATOR


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    project = factory.SubFactory(ProjectFactory)
    external_id = factory.Sequence(lambda n: f"img-{n:06d}")
    image_url = factory.LazyAttribute(lambda o: f"https://images.example/{o.external_id}.png")
    width = 640
    height = 480
    required_annotations = 1
    open_slots = factory.LazyAttribute(lambda o: o.required_annotations)


class PredictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prediction

    item = factory.SubFactory(ItemFactory)
    model_version = "v1"
    payload = factory.LazyFunction(
        lambda: {"boxes": [{"x": 10.0, "y": 10.0, "w": 50.0, "h": 40.0, "label": "car"}]}
    )


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    item = factory.SubFactory(ItemFactory)
    project = factory.LazyAttribute(lambda o: o.item.project)
    annotator = factory.SubFactory(UserFactory)
    served_at = factory.LazyFunction(timezone.now)
    lease_expires_at = factory.LazyAttribute(lambda o: o.served_at + timedelta(minutes=30))
