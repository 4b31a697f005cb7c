from django.urls import path

from greeter import views

app_name = "greeter"
urlpatterns = [
    path("", views.index, name="index"),
    # The seed's route and field name, so the seed's clients keep working.
    path("greet", views.greet, name="greet"),
]
