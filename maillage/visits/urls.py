from django.urls import path

from . import views

app_name = "visits"

V = "<uuid:visit_id>/"

urlpatterns = [
    path("mes-passages/", views.my_day, name="my_day"),
    path("equipe/", views.team_day, name="team_day"),
    path("equipe/plage/", views.team_range, name="team_range"),
    path("professionnels/", views.professional_week, name="professional_week"),
    path("mon-agenda/", views.calendar_feed, name="calendar_feed"),
    path("agenda/<str:token>.ics", views.ical_feed, name="ical"),
    path("personnes/<uuid:public_id>/", views.beneficiary_calendar, name="beneficiary"),
    path("personnes/<uuid:public_id>/planifier/", views.plan, name="plan"),
    path("planifier/journee/", views.booking_day, name="booking_day"),
    path(V, views.detail, name="detail"),
    path(V + "modifier/", views.edit, name="edit"),
    path(V + "serie/", views.series_edit, name="series_edit"),
    path(V + "annuler/", views.cancel, name="cancel"),
    path(V + "deplacer/", views.move, name="move"),
    path(V + "realise/", views.trace_done, name="trace_done"),
    path(V + "non-realise/", views.trace_not_done, name="trace_not_done"),
]
