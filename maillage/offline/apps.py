from django.apps import AppConfig


class OfflineConfig(AppConfig):
    name = "maillage.offline"
    verbose_name = "Journée hors ligne"

    def ready(self) -> None:
        from django.http import JsonResponse

        from maillage.core.error_pages import register_unavailable

        # The phone's JSON endpoints answer a database outage as their other errors
        # ({"error": …}); the phone keeps its pending actions and retries them.
        register_unavailable("offline", lambda request, text: JsonResponse({"error": text})
                             if "/api/" in request.path else None)
