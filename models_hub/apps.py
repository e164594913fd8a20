from django.apps import AppConfig


class ModelsHubConfig(AppConfig):
    """Allocations, products, programs and the model hub."""

    name = "models_hub"

    def ready(self) -> None:
        from dataops.corporate_actions.registry import (
            CorporateActionHandler,
            register_corporate_action_handler,
        )
        from models_hub.corporate_actions import apply_to_model_book, reverse_in_model_book
        from models_hub.loaders import register

        register()
        register_corporate_action_handler(CorporateActionHandler(
            name="model_book", order=20, apply=apply_to_model_book,
            reverse=reverse_in_model_book))
