from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("labeling", "0006_item_preview"),
    ]

    operations = [
        migrations.AddField(
            model_name="item",
            name="preview_problem",
            field=models.CharField(blank=True, db_default="", default="", max_length=500),
        ),
        migrations.AddField(
            model_name="item",
            name="preview_failures",
            field=models.PositiveSmallIntegerField(db_default=0, default=0),
        ),
    ]
