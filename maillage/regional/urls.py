from django.urls import path, register_converter

from . import views


class RegionCode:
    """The INSEE code of a region: two digits."""

    regex = "[0-9]{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return str(value)


class ExportFormat(RegionCode):
    regex = "csv|xlsx"


class IndicatorCode(RegionCode):
    regex = "[A-Za-z0-9-]{1,20}"


register_converter(RegionCode, "region")
register_converter(ExportFormat, "fmt")
register_converter(IndicatorCode, "indicator")

app_name = "regional"

urlpatterns = [
    path("", views.index, name="index"),
    path("<region:region>/", views.overview, name="overview"),
    path("<region:region>/indicateurs.<fmt:fmt>", views.overview_export, name="overview_export"),
    path("<region:region>/indicateurs/<indicator:code>/", views.indicator, name="indicator"),
    path("<region:region>/indicateurs/<indicator:code>.<fmt:fmt>", views.indicator_export,
         name="indicator_export"),
    path("<region:region>/budget/", views.budget, name="budget"),
    path("<region:region>/budget.<fmt:fmt>", views.budget_export, name="budget_export"),
    path("<region:region>/rapports/<uuid:public_id>/", views.report, name="report"),
    path("<region:region>/rapports/<uuid:public_id>/rapport.pdf", views.report_pdf,
         name="report_pdf"),
    path("<region:region>/rapports/<uuid:public_id>/rapport.xlsx", views.report_xlsx,
         name="report_xlsx"),
]
