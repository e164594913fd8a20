from django.apps import AppConfig


class ModelsHubConfig(AppConfig):
    """Allocations, products, programs and the model hub."""

    name = "models_hub"

    def ready(self) -> None:
        from models_hub.loaders import register

        register()
