from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('workflow', '0003_runaccount_disposition_moved'),
    ]

    operations = [
        migrations.AddField(
            model_name='runchunk',
            name='load_seconds',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='runchunk',
            name='solve_seconds',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='runchunk',
            name='write_seconds',
            field=models.FloatField(blank=True, null=True),
        ),
    ]
